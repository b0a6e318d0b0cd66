// Original file: mpcid/oracle/v1/oracle.proto

import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from '../../../mpcid/oracle/v1/OracleRound1.js';
import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from '../../../mpcid/oracle/v1/SealedShare.js';
import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';
import type { EcdsaEnrolled as _mpcid_oracle_v1_EcdsaEnrolled, EcdsaEnrolled__Output as _mpcid_oracle_v1_EcdsaEnrolled__Output } from '../../../mpcid/oracle/v1/EcdsaEnrolled.js';

export interface EcdsaSetupResponse {
  'round1'?: (_mpcid_oracle_v1_OracleRound1 | null);
  'shares'?: (_mpcid_oracle_v1_SealedShare)[];
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'enrolled'?: (_mpcid_oracle_v1_EcdsaEnrolled | null);
}

export interface EcdsaSetupResponse__Output {
  'round1': (_mpcid_oracle_v1_OracleRound1__Output | null);
  'shares': (_mpcid_oracle_v1_SealedShare__Output)[];
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'enrolled': (_mpcid_oracle_v1_EcdsaEnrolled__Output | null);
}
