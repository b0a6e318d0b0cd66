// Original file: mpcid/oracle/v1/oracle.proto

import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from '../../../mpcid/oracle/v1/OracleRound1.js';

export interface BeginEnrollmentResponse {
  'round1'?: (_mpcid_oracle_v1_OracleRound1 | null);
}

export interface BeginEnrollmentResponse__Output {
  'round1': (_mpcid_oracle_v1_OracleRound1__Output | null);
}
