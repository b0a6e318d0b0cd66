// Original file: mpcid/oracle/v1/oracle.proto

import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';

export interface EcdsaRoundResponse {
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'presigned'?: (boolean);
}

export interface EcdsaRoundResponse__Output {
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'presigned': (boolean);
}
