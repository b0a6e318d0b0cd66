// Original file: mpcid/oracle/v1/oracle.proto

import type { Round1Package as _mpcid_oracle_v1_Round1Package, Round1Package__Output as _mpcid_oracle_v1_Round1Package__Output } from '../../../mpcid/oracle/v1/Round1Package.js';
import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from '../../../mpcid/oracle/v1/OracleRound1.js';
import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from '../../../mpcid/oracle/v1/SealedShare.js';
import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from '../../../mpcid/oracle/v1/Envelope.js';

export interface EcdsaSetupRequest {
  'identityId'?: (string);
  'round'?: (number);
  'setupId'?: (Buffer | Uint8Array | string);
  'agentBoxPublicKey'?: (Buffer | Uint8Array | string);
  'agentRound1'?: (_mpcid_oracle_v1_Round1Package)[];
  'sessionSignature'?: (Buffer | Uint8Array | string);
  'oracleRound1'?: (_mpcid_oracle_v1_OracleRound1)[];
  'shares'?: (_mpcid_oracle_v1_SealedShare)[];
  'envelopes'?: (_mpcid_oracle_v1_Envelope)[];
}

export interface EcdsaSetupRequest__Output {
  'identityId': (string);
  'round': (number);
  'setupId': (Buffer);
  'agentBoxPublicKey': (Buffer);
  'agentRound1': (_mpcid_oracle_v1_Round1Package__Output)[];
  'sessionSignature': (Buffer);
  'oracleRound1': (_mpcid_oracle_v1_OracleRound1__Output)[];
  'shares': (_mpcid_oracle_v1_SealedShare__Output)[];
  'envelopes': (_mpcid_oracle_v1_Envelope__Output)[];
}
