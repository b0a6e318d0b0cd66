// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface GetNoncesRequest {
  'identityId'?: (string);
  'count'?: (number);
  'requestId'?: (Buffer | Uint8Array | string);
  'sessionSignature'?: (Buffer | Uint8Array | string);
  'counter'?: (number | string | Long);
  'nodeId'?: (number);
}

export interface GetNoncesRequest__Output {
  'identityId': (string);
  'count': (number);
  'requestId': (Buffer);
  'sessionSignature': (Buffer);
  'counter': (number);
  'nodeId': (number);
}
