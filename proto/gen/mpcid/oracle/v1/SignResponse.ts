// Original file: mpcid/oracle/v1/oracle.proto

import type {
  NonceCommitment as _mpcid_oracle_v1_NonceCommitment,
  NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output,
} from '../../../mpcid/oracle/v1/NonceCommitment.js';

export interface SignResponse {
  nodeId?: number;
  signatureShare?: Buffer | Uint8Array | string;
  next?: _mpcid_oracle_v1_NonceCommitment | null;
}

export interface SignResponse__Output {
  nodeId: number;
  signatureShare: Buffer;
  next: _mpcid_oracle_v1_NonceCommitment__Output | null;
}
