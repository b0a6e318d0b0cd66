// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface AlertEventMessage {
  'seq'?: (number | string | Long);
  'json'?: (string);
}

export interface AlertEventMessage__Output {
  'seq': (number);
  'json': (string);
}
