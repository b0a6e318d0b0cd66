// Original file: mpcid/oracle/v1/oracle.proto

import type { Commit as _mpcid_oracle_v1_Commit, Commit__Output as _mpcid_oracle_v1_Commit__Output } from '../../../mpcid/oracle/v1/Commit.js';
import type { NonceCommitment as _mpcid_oracle_v1_NonceCommitment, NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output } from '../../../mpcid/oracle/v1/NonceCommitment.js';
import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';
import type { PolicyRefusal as _mpcid_oracle_v1_PolicyRefusal, PolicyRefusal__Output as _mpcid_oracle_v1_PolicyRefusal__Output } from '../../../mpcid/oracle/v1/PolicyRefusal.js';

export interface StepResponse {
  'commit'?: (_mpcid_oracle_v1_Commit | null);
  'signatureShare'?: (Buffer | Uint8Array | string);
  'next'?: (_mpcid_oracle_v1_NonceCommitment | null);
  'refusal'?: (string);
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
  'policyRefusal'?: (_mpcid_oracle_v1_PolicyRefusal | null);
  'groupCommitment'?: (Buffer | Uint8Array | string);
}

export interface StepResponse__Output {
  'commit': (_mpcid_oracle_v1_Commit__Output | null);
  'signatureShare': (Buffer);
  'next': (_mpcid_oracle_v1_NonceCommitment__Output | null);
  'refusal': (string);
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
  'policyRefusal': (_mpcid_oracle_v1_PolicyRefusal__Output | null);
  'groupCommitment': (Buffer);
}
