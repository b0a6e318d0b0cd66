// Original file: mpcid/oracle/v1/oracle.proto

import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from '../../../mpcid/oracle/v1/OracleRound1.js';
import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from '../../../mpcid/oracle/v1/SealedShare.js';
import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';
import type { IssuerKeyConfirmation as _mpcid_oracle_v1_IssuerKeyConfirmation, IssuerKeyConfirmation__Output as _mpcid_oracle_v1_IssuerKeyConfirmation__Output } from '../../../mpcid/oracle/v1/IssuerKeyConfirmation.js';

export interface IssuerSetupRequest {
  'setupId'?: (Buffer | Uint8Array | string);
  'round'?: (number);
  'coordinator'?: (number);
  'coordinatorSignature'?: (Buffer | Uint8Array | string);
  'oracleRound1'?: (_mpcid_oracle_v1_OracleRound1)[];
  'shares'?: (_mpcid_oracle_v1_SealedShare)[];
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'confirmations'?: (_mpcid_oracle_v1_IssuerKeyConfirmation)[];
}

export interface IssuerSetupRequest__Output {
  'setupId': (Buffer);
  'round': (number);
  'coordinator': (number);
  'coordinatorSignature': (Buffer);
  'oracleRound1': (_mpcid_oracle_v1_OracleRound1__Output)[];
  'shares': (_mpcid_oracle_v1_SealedShare__Output)[];
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'confirmations': (_mpcid_oracle_v1_IssuerKeyConfirmation__Output)[];
}
