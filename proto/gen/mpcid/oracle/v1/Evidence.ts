// Original file: mpcid/oracle/v1/oracle.proto

import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from '../../../mpcid/oracle/v1/Step.js';

export interface Evidence {
  'identityId'?: (string);
  'steps'?: (_mpcid_oracle_v1_Step)[];
}

export interface Evidence__Output {
  'identityId': (string);
  'steps': (_mpcid_oracle_v1_Step__Output)[];
}
