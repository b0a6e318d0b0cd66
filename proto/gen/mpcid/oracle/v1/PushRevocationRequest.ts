// Original file: mpcid/oracle/v1/oracle.proto

import type { Revocation as _mpcid_oracle_v1_Revocation, Revocation__Output as _mpcid_oracle_v1_Revocation__Output } from '../../../mpcid/oracle/v1/Revocation.js';

export interface PushRevocationRequest {
  'revocation'?: (_mpcid_oracle_v1_Revocation | null);
}

export interface PushRevocationRequest__Output {
  'revocation': (_mpcid_oracle_v1_Revocation__Output | null);
}
