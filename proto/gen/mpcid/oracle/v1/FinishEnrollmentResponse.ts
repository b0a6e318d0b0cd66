// Original file: mpcid/oracle/v1/oracle.proto

import type { Enrolled as _mpcid_oracle_v1_Enrolled, Enrolled__Output as _mpcid_oracle_v1_Enrolled__Output } from '../../../mpcid/oracle/v1/Enrolled.js';

export interface FinishEnrollmentResponse {
  'enrolled'?: (_mpcid_oracle_v1_Enrolled | null);
}

export interface FinishEnrollmentResponse__Output {
  'enrolled': (_mpcid_oracle_v1_Enrolled__Output | null);
}
