// Original file: mpcid/oracle/v1/oracle.proto

import type { Round1Package as _mpcid_oracle_v1_Round1Package, Round1Package__Output as _mpcid_oracle_v1_Round1Package__Output } from '../../../mpcid/oracle/v1/Round1Package.js';

export interface OracleRound1 {
  'nodeId'?: (number);
  'package'?: (_mpcid_oracle_v1_Round1Package | null);
  'boxPublicKey'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface OracleRound1__Output {
  'nodeId': (number);
  'package': (_mpcid_oracle_v1_Round1Package__Output | null);
  'boxPublicKey': (Buffer);
  'signature': (Buffer);
}
