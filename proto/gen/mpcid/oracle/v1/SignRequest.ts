// Original file: mpcid/oracle/v1/oracle.proto

import type {
  NonceCommitment as _mpcid_oracle_v1_NonceCommitment,
  NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output,
} from '../../../mpcid/oracle/v1/NonceCommitment.js';

export interface SignRequest {
  identityId?: string;
  message?: Buffer | Uint8Array | string;
  commitments?: _mpcid_oracle_v1_NonceCommitment[];
  requestId?: Buffer | Uint8Array | string;
  sessionSignature?: Buffer | Uint8Array | string;
}

export interface SignRequest__Output {
  identityId: string;
  message: Buffer;
  commitments: _mpcid_oracle_v1_NonceCommitment__Output[];
  requestId: Buffer;
  sessionSignature: Buffer;
}
