// Original file: mpcid/oracle/v1/oracle.proto

import type { StepResponse as _mpcid_oracle_v1_StepResponse, StepResponse__Output as _mpcid_oracle_v1_StepResponse__Output } from '../../../mpcid/oracle/v1/StepResponse.js';
import type { StepError as _mpcid_oracle_v1_StepError, StepError__Output as _mpcid_oracle_v1_StepError__Output } from '../../../mpcid/oracle/v1/StepError.js';
import type { Long } from '@grpc/proto-loader';

export interface StepResult {
  'callId'?: (number | string | Long);
  'response'?: (_mpcid_oracle_v1_StepResponse | null);
  'error'?: (_mpcid_oracle_v1_StepError | null);
  'result'?: "response"|"error";
}

export interface StepResult__Output {
  'callId': (number);
  'response'?: (_mpcid_oracle_v1_StepResponse__Output | null);
  'error'?: (_mpcid_oracle_v1_StepError__Output | null);
  'result'?: "response"|"error";
}
