// Original file: mpcid/oracle/v1/oracle.proto

import type { Commit as _mpcid_oracle_v1_Commit, Commit__Output as _mpcid_oracle_v1_Commit__Output } from '../../../mpcid/oracle/v1/Commit.js';
import type { PolicyRefusal as _mpcid_oracle_v1_PolicyRefusal, PolicyRefusal__Output as _mpcid_oracle_v1_PolicyRefusal__Output } from '../../../mpcid/oracle/v1/PolicyRefusal.js';

export interface UnsealResponse {
  'commit'?: (_mpcid_oracle_v1_Commit | null);
  'partial'?: (Buffer | Uint8Array | string);
  'proof'?: (Buffer | Uint8Array | string);
  'policyRefusal'?: (_mpcid_oracle_v1_PolicyRefusal | null);
}

export interface UnsealResponse__Output {
  'commit': (_mpcid_oracle_v1_Commit__Output | null);
  'partial': (Buffer);
  'proof': (Buffer);
  'policyRefusal': (_mpcid_oracle_v1_PolicyRefusal__Output | null);
}
