// Original file: mpcid/admin/v1/admin.proto

import type { Identity as _mpcid_admin_v1_Identity, Identity__Output as _mpcid_admin_v1_Identity__Output } from '../../../mpcid/admin/v1/Identity.js';

export interface ListIdentitiesResponse {
  'identities'?: (_mpcid_admin_v1_Identity)[];
  'nextPageToken'?: (string);
}

export interface ListIdentitiesResponse__Output {
  'identities': (_mpcid_admin_v1_Identity__Output)[];
  'nextPageToken': (string);
}
