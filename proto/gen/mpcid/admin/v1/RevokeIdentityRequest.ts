// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface RevokeIdentityRequest {
  'identityId'?: (string);
  'reason'?: (string);
  'issuedAt'?: (number | string | Long);
  'certificate'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface RevokeIdentityRequest__Output {
  'identityId': (string);
  'reason': (string);
  'issuedAt': (number);
  'certificate': (Buffer);
  'signature': (Buffer);
}
