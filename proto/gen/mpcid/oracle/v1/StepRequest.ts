// Original file: mpcid/oracle/v1/oracle.proto

import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from '../../../mpcid/oracle/v1/Step.js';
import type { Commit as _mpcid_oracle_v1_Commit, Commit__Output as _mpcid_oracle_v1_Commit__Output } from '../../../mpcid/oracle/v1/Commit.js';
import type { SignPayload as _mpcid_oracle_v1_SignPayload, SignPayload__Output as _mpcid_oracle_v1_SignPayload__Output } from '../../../mpcid/oracle/v1/SignPayload.js';
import type { EcdsaSignPayload as _mpcid_oracle_v1_EcdsaSignPayload, EcdsaSignPayload__Output as _mpcid_oracle_v1_EcdsaSignPayload__Output } from '../../../mpcid/oracle/v1/EcdsaSignPayload.js';
import type { MeasurePayload as _mpcid_oracle_v1_MeasurePayload, MeasurePayload__Output as _mpcid_oracle_v1_MeasurePayload__Output } from '../../../mpcid/oracle/v1/MeasurePayload.js';
import type { RegisterProof as _mpcid_oracle_v1_RegisterProof, RegisterProof__Output as _mpcid_oracle_v1_RegisterProof__Output } from '../../../mpcid/oracle/v1/RegisterProof.js';

export interface StepRequest {
  'step'?: (_mpcid_oracle_v1_Step | null);
  'certificate'?: (_mpcid_oracle_v1_Commit)[];
  'sign'?: (_mpcid_oracle_v1_SignPayload | null);
  'ecdsa'?: (_mpcid_oracle_v1_EcdsaSignPayload | null);
  'measure'?: (_mpcid_oracle_v1_MeasurePayload | null);
  'registers'?: (_mpcid_oracle_v1_RegisterProof | null);
}

export interface StepRequest__Output {
  'step': (_mpcid_oracle_v1_Step__Output | null);
  'certificate': (_mpcid_oracle_v1_Commit__Output)[];
  'sign': (_mpcid_oracle_v1_SignPayload__Output | null);
  'ecdsa': (_mpcid_oracle_v1_EcdsaSignPayload__Output | null);
  'measure': (_mpcid_oracle_v1_MeasurePayload__Output | null);
  'registers': (_mpcid_oracle_v1_RegisterProof__Output | null);
}
