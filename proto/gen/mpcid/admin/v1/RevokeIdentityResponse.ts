// Original file: mpcid/admin/v1/admin.proto

import type { RevocationInfo as _mpcid_admin_v1_RevocationInfo, RevocationInfo__Output as _mpcid_admin_v1_RevocationInfo__Output } from '../../../mpcid/admin/v1/RevocationInfo.js';

export interface RevokeIdentityResponse {
  'applied'?: (boolean);
  'revocation'?: (_mpcid_admin_v1_RevocationInfo | null);
}

export interface RevokeIdentityResponse__Output {
  'applied': (boolean);
  'revocation': (_mpcid_admin_v1_RevocationInfo__Output | null);
}
