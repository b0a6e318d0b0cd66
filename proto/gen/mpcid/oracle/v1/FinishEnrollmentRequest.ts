// Original file: mpcid/oracle/v1/oracle.proto

import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from '../../../mpcid/oracle/v1/SealedShare.js';

export interface FinishEnrollmentRequest {
  'tokenId'?: (string);
  'shares'?: (_mpcid_oracle_v1_SealedShare)[];
}

export interface FinishEnrollmentRequest__Output {
  'tokenId': (string);
  'shares': (_mpcid_oracle_v1_SealedShare__Output)[];
}
