// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateConsoleLoginResponse {
  'path'?: (string);
  'expiresAt'?: (number | string | Long);
  'httpListen'?: (string);
  'https'?: (boolean);
}

export interface CreateConsoleLoginResponse__Output {
  'path': (string);
  'expiresAt': (number);
  'httpListen': (string);
  'https': (boolean);
}
