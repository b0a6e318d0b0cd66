// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface Commit {
  'nodeId'?: (number);
  'identityId'?: (string);
  'counter'?: (number | string | Long);
  'head'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface Commit__Output {
  'nodeId': (number);
  'identityId': (string);
  'counter': (number);
  'head': (Buffer);
  'signature': (Buffer);
}
