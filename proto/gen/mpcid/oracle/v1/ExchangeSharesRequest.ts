// Original file: mpcid/oracle/v1/oracle.proto

import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from '../../../mpcid/oracle/v1/OracleRound1.js';
import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from '../../../mpcid/oracle/v1/SealedShare.js';

export interface ExchangeSharesRequest {
  'tokenId'?: (string);
  'oracleRound1'?: (_mpcid_oracle_v1_OracleRound1)[];
  'agentShares'?: (_mpcid_oracle_v1_SealedShare)[];
}

export interface ExchangeSharesRequest__Output {
  'tokenId': (string);
  'oracleRound1': (_mpcid_oracle_v1_OracleRound1__Output)[];
  'agentShares': (_mpcid_oracle_v1_SealedShare__Output)[];
}
