// Original file: mpcid/oracle/v1/oracle.proto

import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from '../../../mpcid/oracle/v1/Step.js';
import type { Commit as _mpcid_oracle_v1_Commit, Commit__Output as _mpcid_oracle_v1_Commit__Output } from '../../../mpcid/oracle/v1/Commit.js';
import type { RegisterProof as _mpcid_oracle_v1_RegisterProof, RegisterProof__Output as _mpcid_oracle_v1_RegisterProof__Output } from '../../../mpcid/oracle/v1/RegisterProof.js';

export interface UnsealRequest {
  'step'?: (_mpcid_oracle_v1_Step | null);
  'certificate'?: (_mpcid_oracle_v1_Commit)[];
  'blobId'?: (Buffer | Uint8Array | string);
  'policy'?: (Buffer | Uint8Array | string);
  'registers'?: (_mpcid_oracle_v1_RegisterProof | null);
}

export interface UnsealRequest__Output {
  'step': (_mpcid_oracle_v1_Step__Output | null);
  'certificate': (_mpcid_oracle_v1_Commit__Output)[];
  'blobId': (Buffer);
  'policy': (Buffer);
  'registers': (_mpcid_oracle_v1_RegisterProof__Output | null);
}
