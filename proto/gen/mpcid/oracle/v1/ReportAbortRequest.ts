// Original file: mpcid/oracle/v1/oracle.proto

import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from '../../../mpcid/oracle/v1/Step.js';
import type { EcdsaAbort as _mpcid_oracle_v1_EcdsaAbort, EcdsaAbort__Output as _mpcid_oracle_v1_EcdsaAbort__Output } from '../../../mpcid/oracle/v1/EcdsaAbort.js';

export interface ReportAbortRequest {
  'identityId'?: (string);
  'step'?: (_mpcid_oracle_v1_Step | null);
  'abort'?: (_mpcid_oracle_v1_EcdsaAbort | null);
}

export interface ReportAbortRequest__Output {
  'identityId': (string);
  'step': (_mpcid_oracle_v1_Step__Output | null);
  'abort': (_mpcid_oracle_v1_EcdsaAbort__Output | null);
}
