// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface IssuerKeyInfo {
  'kid'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'state'?: (string);
  'generation'?: (number | string | Long);
}

export interface IssuerKeyInfo__Output {
  'kid': (string);
  'publicKey': (Buffer);
  'state': (string);
  'generation': (number);
}
