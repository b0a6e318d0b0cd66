// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface Step {
  'identityId'?: (string);
  'counter'?: (number | string | Long);
  'prevHead'?: (Buffer | Uint8Array | string);
  'timeMs'?: (number | string | Long);
  'kind'?: (string);
  'payloadDigest'?: (Buffer | Uint8Array | string);
  'requestId'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface Step__Output {
  'identityId': (string);
  'counter': (number);
  'prevHead': (Buffer);
  'timeMs': (number);
  'kind': (string);
  'payloadDigest': (Buffer);
  'requestId': (Buffer);
  'signature': (Buffer);
}
