// Original file: mpcid/oracle/v1/oracle.proto

import type { NonceCommitment as _mpcid_oracle_v1_NonceCommitment, NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output } from '../../../mpcid/oracle/v1/NonceCommitment.js';

export interface GetNoncesResponse {
  'commitments'?: (_mpcid_oracle_v1_NonceCommitment)[];
}

export interface GetNoncesResponse__Output {
  'commitments': (_mpcid_oracle_v1_NonceCommitment__Output)[];
}
