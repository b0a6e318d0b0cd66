// Original file: mpcid/admin/v1/admin.proto

import type { IssuerKeyInfo as _mpcid_admin_v1_IssuerKeyInfo, IssuerKeyInfo__Output as _mpcid_admin_v1_IssuerKeyInfo__Output } from '../../../mpcid/admin/v1/IssuerKeyInfo.js';

export interface RotateIssuerResponse {
  'addedKid'?: (string);
  'retiredKid'?: (string);
  'keys'?: (_mpcid_admin_v1_IssuerKeyInfo)[];
  'uncommitted'?: (number)[];
}

export interface RotateIssuerResponse__Output {
  'addedKid': (string);
  'retiredKid': (string);
  'keys': (_mpcid_admin_v1_IssuerKeyInfo__Output)[];
  'uncommitted': (number)[];
}
