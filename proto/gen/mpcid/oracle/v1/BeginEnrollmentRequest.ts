// Original file: mpcid/oracle/v1/oracle.proto

import type { Round1Package as _mpcid_oracle_v1_Round1Package, Round1Package__Output as _mpcid_oracle_v1_Round1Package__Output } from '../../../mpcid/oracle/v1/Round1Package.js';

export interface BeginEnrollmentRequest {
  'joinToken'?: (string);
  'sessionPublicKey'?: (Buffer | Uint8Array | string);
  'agentBoxPublicKey'?: (Buffer | Uint8Array | string);
  'agentRound1'?: (_mpcid_oracle_v1_Round1Package)[];
  'sessionSignature'?: (Buffer | Uint8Array | string);
}

export interface BeginEnrollmentRequest__Output {
  'joinToken': (string);
  'sessionPublicKey': (Buffer);
  'agentBoxPublicKey': (Buffer);
  'agentRound1': (_mpcid_oracle_v1_Round1Package__Output)[];
  'sessionSignature': (Buffer);
}
