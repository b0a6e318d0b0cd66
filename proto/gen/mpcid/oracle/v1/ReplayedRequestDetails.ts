// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplayedRequestDetails {
  'counter'?: (number | string | Long);
  'oracleCounter'?: (number | string | Long);
  'nodeId'?: (number);
}

export interface ReplayedRequestDetails__Output {
  'counter': (number);
  'oracleCounter': (number);
  'nodeId': (number);
}
