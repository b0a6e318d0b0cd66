// Original file: mpcid/oracle/v1/oracle.proto

import type { Evidence as _mpcid_oracle_v1_Evidence, Evidence__Output as _mpcid_oracle_v1_Evidence__Output } from '../../../mpcid/oracle/v1/Evidence.js';

export interface SuspendedDetails {
  'evidence'?: (_mpcid_oracle_v1_Evidence | null);
  'accuser'?: (number);
  'accused'?: (number);
}

export interface SuspendedDetails__Output {
  'evidence': (_mpcid_oracle_v1_Evidence__Output | null);
  'accuser': (number);
  'accused': (number);
}
