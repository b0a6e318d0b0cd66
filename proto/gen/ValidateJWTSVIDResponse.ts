// Original file: spiffe/workloadapi.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from './google/protobuf/Struct.js';

export interface ValidateJWTSVIDResponse {
  'spiffeId'?: (string);
  'claims'?: (_google_protobuf_Struct | null);
}

export interface ValidateJWTSVIDResponse__Output {
  'spiffeId': (string);
  'claims': (_google_protobuf_Struct__Output | null);
}
