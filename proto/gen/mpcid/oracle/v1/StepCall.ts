// Original file: mpcid/oracle/v1/oracle.proto

import type { StepRequest as _mpcid_oracle_v1_StepRequest, StepRequest__Output as _mpcid_oracle_v1_StepRequest__Output } from '../../../mpcid/oracle/v1/StepRequest.js';
import type { Long } from '@grpc/proto-loader';

export interface StepCall {
  'callId'?: (number | string | Long);
  'request'?: (_mpcid_oracle_v1_StepRequest | null);
}

export interface StepCall__Output {
  'callId': (number);
  'request': (_mpcid_oracle_v1_StepRequest__Output | null);
}
