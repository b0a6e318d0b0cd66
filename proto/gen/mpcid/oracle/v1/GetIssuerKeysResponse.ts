// Original file: mpcid/oracle/v1/oracle.proto

import type { IssuerKey as _mpcid_oracle_v1_IssuerKey, IssuerKey__Output as _mpcid_oracle_v1_IssuerKey__Output } from '../../../mpcid/oracle/v1/IssuerKey.js';

export interface GetIssuerKeysResponse {
  'keys'?: (_mpcid_oracle_v1_IssuerKey)[];
}

export interface GetIssuerKeysResponse__Output {
  'keys': (_mpcid_oracle_v1_IssuerKey__Output)[];
}
