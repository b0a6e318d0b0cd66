// Original file: mpcid/oracle/v1/oracle.proto

import type { NonceCommitment as _mpcid_oracle_v1_NonceCommitment, NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output } from '../../../mpcid/oracle/v1/NonceCommitment.js';

export interface SignPayload {
  'message'?: (Buffer | Uint8Array | string);
  'commitments'?: (_mpcid_oracle_v1_NonceCommitment)[];
}

export interface SignPayload__Output {
  'message': (Buffer);
  'commitments': (_mpcid_oracle_v1_NonceCommitment__Output)[];
}
