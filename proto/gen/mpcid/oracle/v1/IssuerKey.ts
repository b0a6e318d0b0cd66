// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface IssuerKey {
  'kid'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'state'?: (string);
  'generation'?: (number | string | Long);
}

export interface IssuerKey__Output {
  'kid': (string);
  'publicKey': (Buffer);
  'state': (string);
  'generation': (number);
}
