// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchAlertsRequest {
  'cursor'?: (number | string | Long);
}

export interface WatchAlertsRequest__Output {
  'cursor': (number);
}
