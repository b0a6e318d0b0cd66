// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Identity {
  'identityId'?: (string);
  'name'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'alg'?: (string);
  'status'?: (string);
  'enrolledAt'?: (number | string | Long);
  'n'?: (number);
  't'?: (number);
  'es256Kid'?: (string);
  'es256PublicKey'?: (Buffer | Uint8Array | string);
  'counter'?: (number | string | Long);
  'requiredClaimsJson'?: (string);
  'requiredRegistersJson'?: (string);
  'registers'?: (Buffer | Uint8Array | string)[];
  'registersCounter'?: (number | string | Long);
}

export interface Identity__Output {
  'identityId': (string);
  'name': (string);
  'publicKey': (Buffer);
  'alg': (string);
  'status': (string);
  'enrolledAt': (number);
  'n': (number);
  't': (number);
  'es256Kid': (string);
  'es256PublicKey': (Buffer);
  'counter': (number);
  'requiredClaimsJson': (string);
  'requiredRegistersJson': (string);
  'registers': (Buffer)[];
  'registersCounter': (number);
}
