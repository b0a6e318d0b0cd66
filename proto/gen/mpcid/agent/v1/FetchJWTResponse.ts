// Original file: mpcid/agent/v1/workload.proto

import type { Long } from '@grpc/proto-loader';

export interface FetchJWTResponse {
  'token'?: (string);
  'kid'?: (string);
  'expiresAt'?: (number | string | Long);
}

export interface FetchJWTResponse__Output {
  'token': (string);
  'kid': (string);
  'expiresAt': (number);
}
