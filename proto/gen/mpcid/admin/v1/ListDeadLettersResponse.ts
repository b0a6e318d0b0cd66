// Original file: mpcid/admin/v1/admin.proto

import type { DeadLetter as _mpcid_admin_v1_DeadLetter, DeadLetter__Output as _mpcid_admin_v1_DeadLetter__Output } from '../../../mpcid/admin/v1/DeadLetter.js';

export interface ListDeadLettersResponse {
  'deadLetters'?: (_mpcid_admin_v1_DeadLetter)[];
}

export interface ListDeadLettersResponse__Output {
  'deadLetters': (_mpcid_admin_v1_DeadLetter__Output)[];
}
