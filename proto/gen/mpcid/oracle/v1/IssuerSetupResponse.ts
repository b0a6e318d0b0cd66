// Original file: mpcid/oracle/v1/oracle.proto

import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from '../../../mpcid/oracle/v1/OracleRound1.js';
import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from '../../../mpcid/oracle/v1/SealedShare.js';
import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';
import type { IssuerKeyConfirmation as _mpcid_oracle_v1_IssuerKeyConfirmation, IssuerKeyConfirmation__Output as _mpcid_oracle_v1_IssuerKeyConfirmation__Output } from '../../../mpcid/oracle/v1/IssuerKeyConfirmation.js';
import type { IssuerKey as _mpcid_oracle_v1_IssuerKey, IssuerKey__Output as _mpcid_oracle_v1_IssuerKey__Output } from '../../../mpcid/oracle/v1/IssuerKey.js';

export interface IssuerSetupResponse {
  'round1'?: (_mpcid_oracle_v1_OracleRound1 | null);
  'shares'?: (_mpcid_oracle_v1_SealedShare)[];
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'confirmation'?: (_mpcid_oracle_v1_IssuerKeyConfirmation | null);
  'keys'?: (_mpcid_oracle_v1_IssuerKey)[];
}

export interface IssuerSetupResponse__Output {
  'round1': (_mpcid_oracle_v1_OracleRound1__Output | null);
  'shares': (_mpcid_oracle_v1_SealedShare__Output)[];
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'confirmation': (_mpcid_oracle_v1_IssuerKeyConfirmation__Output | null);
  'keys': (_mpcid_oracle_v1_IssuerKey__Output)[];
}
