// Original file: mpcid/oracle/v1/oracle.proto

import type { JwtBundleKey as _mpcid_oracle_v1_JwtBundleKey, JwtBundleKey__Output as _mpcid_oracle_v1_JwtBundleKey__Output } from '../../../mpcid/oracle/v1/JwtBundleKey.js';

export interface GetJwtBundleResponse {
  'keys'?: (_mpcid_oracle_v1_JwtBundleKey)[];
}

export interface GetJwtBundleResponse__Output {
  'keys': (_mpcid_oracle_v1_JwtBundleKey__Output)[];
}
