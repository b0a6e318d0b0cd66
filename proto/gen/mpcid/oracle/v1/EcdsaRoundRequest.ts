// Original file: mpcid/oracle/v1/oracle.proto

import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';
import type { EcdsaAbort as _mpcid_oracle_v1_EcdsaAbort, EcdsaAbort__Output as _mpcid_oracle_v1_EcdsaAbort__Output } from '../../../mpcid/oracle/v1/EcdsaAbort.js';
import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from '../../../mpcid/oracle/v1/Step.js';

export interface EcdsaRoundRequest {
  'identityId'?: (string);
  'session'?: (Buffer | Uint8Array | string);
  'round'?: (number);
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'abort'?: (_mpcid_oracle_v1_EcdsaAbort | null);
  'step'?: (_mpcid_oracle_v1_Step | null);
}

export interface EcdsaRoundRequest__Output {
  'identityId': (string);
  'session': (Buffer);
  'round': (number);
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'abort': (_mpcid_oracle_v1_EcdsaAbort__Output | null);
  'step': (_mpcid_oracle_v1_Step__Output | null);
}
