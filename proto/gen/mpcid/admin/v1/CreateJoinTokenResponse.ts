// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateJoinTokenResponse {
  'token'?: (string);
  'tokenId'?: (string);
  'expiresAt'?: (number | string | Long);
}

export interface CreateJoinTokenResponse__Output {
  'token': (string);
  'tokenId': (string);
  'expiresAt': (number);
}
