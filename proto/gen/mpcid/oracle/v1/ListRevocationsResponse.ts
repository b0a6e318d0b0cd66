// Original file: mpcid/oracle/v1/oracle.proto

import type { Revocation as _mpcid_oracle_v1_Revocation, Revocation__Output as _mpcid_oracle_v1_Revocation__Output } from '../../../mpcid/oracle/v1/Revocation.js';

export interface ListRevocationsResponse {
  'revocations'?: (_mpcid_oracle_v1_Revocation)[];
  'nextPageToken'?: (string);
}

export interface ListRevocationsResponse__Output {
  'revocations': (_mpcid_oracle_v1_Revocation__Output)[];
  'nextPageToken': (string);
}
