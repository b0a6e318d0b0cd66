// Original file: mpcid/agent/v1/workload.proto

import type { Long } from '@grpc/proto-loader';

export interface RegistersResponse {
  'values'?: (Buffer | Uint8Array | string)[];
  'counter'?: (number | string | Long);
}

export interface RegistersResponse__Output {
  'values': (Buffer)[];
  'counter': (number);
}
