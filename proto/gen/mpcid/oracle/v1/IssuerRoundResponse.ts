// Original file: mpcid/oracle/v1/oracle.proto

import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';

export interface IssuerRoundResponse {
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
}

export interface IssuerRoundResponse__Output {
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
}
