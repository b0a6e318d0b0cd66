// Original file: mpcid/oracle/v1/oracle.proto

import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from '../../../mpcid/oracle/v1/Step.js';
import type { Commit as _mpcid_oracle_v1_Commit, Commit__Output as _mpcid_oracle_v1_Commit__Output } from '../../../mpcid/oracle/v1/Commit.js';
import type { MeasurePayload as _mpcid_oracle_v1_MeasurePayload, MeasurePayload__Output as _mpcid_oracle_v1_MeasurePayload__Output } from '../../../mpcid/oracle/v1/MeasurePayload.js';

export interface RegisterProof {
  'step'?: (_mpcid_oracle_v1_Step | null);
  'certificate'?: (_mpcid_oracle_v1_Commit)[];
  'measure'?: (_mpcid_oracle_v1_MeasurePayload | null);
}

export interface RegisterProof__Output {
  'step': (_mpcid_oracle_v1_Step__Output | null);
  'certificate': (_mpcid_oracle_v1_Commit__Output)[];
  'measure': (_mpcid_oracle_v1_MeasurePayload__Output | null);
}
