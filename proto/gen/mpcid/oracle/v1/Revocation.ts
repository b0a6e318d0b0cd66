// Original file: mpcid/oracle/v1/oracle.proto

import type { Evidence as _mpcid_oracle_v1_Evidence, Evidence__Output as _mpcid_oracle_v1_Evidence__Output } from '../../../mpcid/oracle/v1/Evidence.js';
import type { OperatorRevocation as _mpcid_oracle_v1_OperatorRevocation, OperatorRevocation__Output as _mpcid_oracle_v1_OperatorRevocation__Output } from '../../../mpcid/oracle/v1/OperatorRevocation.js';
import type { Long } from '@grpc/proto-loader';

export interface Revocation {
  'evidence'?: (_mpcid_oracle_v1_Evidence | null);
  'digest'?: (Buffer | Uint8Array | string);
  'reason'?: (string);
  'detectedBy'?: (number);
  'detectedAt'?: (number | string | Long);
  'peers'?: (string)[];
  'counter'?: (number | string | Long);
  'reportSignature'?: (Buffer | Uint8Array | string);
  'accusations'?: (_mpcid_oracle_v1_Evidence)[];
  'operator'?: (_mpcid_oracle_v1_OperatorRevocation | null);
}

export interface Revocation__Output {
  'evidence': (_mpcid_oracle_v1_Evidence__Output | null);
  'digest': (Buffer);
  'reason': (string);
  'detectedBy': (number);
  'detectedAt': (number);
  'peers': (string)[];
  'counter': (number);
  'reportSignature': (Buffer);
  'accusations': (_mpcid_oracle_v1_Evidence__Output)[];
  'operator': (_mpcid_oracle_v1_OperatorRevocation__Output | null);
}
