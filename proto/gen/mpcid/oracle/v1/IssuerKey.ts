// Original file: mpcid/oracle/v1/oracle.proto

import type { IssuerKeyConfirmation as _mpcid_oracle_v1_IssuerKeyConfirmation, IssuerKeyConfirmation__Output as _mpcid_oracle_v1_IssuerKeyConfirmation__Output } from '../../../mpcid/oracle/v1/IssuerKeyConfirmation.js';
import type { Long } from '@grpc/proto-loader';

export interface IssuerKey {
  'kid'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'state'?: (string);
  'generation'?: (number | string | Long);
  'setupId'?: (Buffer | Uint8Array | string);
  'coordinator'?: (number);
  'confirmations'?: (_mpcid_oracle_v1_IssuerKeyConfirmation)[];
}

export interface IssuerKey__Output {
  'kid': (string);
  'publicKey': (Buffer);
  'state': (string);
  'generation': (number);
  'setupId': (Buffer);
  'coordinator': (number);
  'confirmations': (_mpcid_oracle_v1_IssuerKeyConfirmation__Output)[];
}
