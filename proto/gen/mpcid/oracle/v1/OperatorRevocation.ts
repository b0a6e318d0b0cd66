// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface OperatorRevocation {
  'identityId'?: (string);
  'reason'?: (string);
  'issuedAt'?: (number | string | Long);
  'certificate'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface OperatorRevocation__Output {
  'identityId': (string);
  'reason': (string);
  'issuedAt': (number);
  'certificate': (Buffer);
  'signature': (Buffer);
}
