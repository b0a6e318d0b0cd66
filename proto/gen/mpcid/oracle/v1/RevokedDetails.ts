// Original file: mpcid/oracle/v1/oracle.proto

import type { Evidence as _mpcid_oracle_v1_Evidence, Evidence__Output as _mpcid_oracle_v1_Evidence__Output } from '../../../mpcid/oracle/v1/Evidence.js';
import type { OperatorRevocation as _mpcid_oracle_v1_OperatorRevocation, OperatorRevocation__Output as _mpcid_oracle_v1_OperatorRevocation__Output } from '../../../mpcid/oracle/v1/OperatorRevocation.js';

export interface RevokedDetails {
  'evidence'?: (_mpcid_oracle_v1_Evidence | null);
  'operator'?: (_mpcid_oracle_v1_OperatorRevocation | null);
}

export interface RevokedDetails__Output {
  'evidence': (_mpcid_oracle_v1_Evidence__Output | null);
  'operator': (_mpcid_oracle_v1_OperatorRevocation__Output | null);
}
