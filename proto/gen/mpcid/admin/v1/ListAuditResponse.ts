// Original file: mpcid/admin/v1/admin.proto

import type { AuditEntry as _mpcid_admin_v1_AuditEntry, AuditEntry__Output as _mpcid_admin_v1_AuditEntry__Output } from '../../../mpcid/admin/v1/AuditEntry.js';

export interface ListAuditResponse {
  'entries'?: (_mpcid_admin_v1_AuditEntry)[];
  'nextPageToken'?: (string);
}

export interface ListAuditResponse__Output {
  'entries': (_mpcid_admin_v1_AuditEntry__Output)[];
  'nextPageToken': (string);
}
