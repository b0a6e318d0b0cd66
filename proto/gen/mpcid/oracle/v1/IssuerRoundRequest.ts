// Original file: mpcid/oracle/v1/oracle.proto

import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';

export interface IssuerRoundRequest {
  'identityId'?: (string);
  'session'?: (Buffer | Uint8Array | string);
  'round'?: (number);
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'sessionSignature'?: (Buffer | Uint8Array | string);
}

export interface IssuerRoundRequest__Output {
  'identityId': (string);
  'session': (Buffer);
  'round': (number);
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'sessionSignature': (Buffer);
}
