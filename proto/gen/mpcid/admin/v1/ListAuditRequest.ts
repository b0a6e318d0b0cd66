// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  'identityId'?: (string);
  'since'?: (number | string | Long);
  'kind'?: (string);
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListAuditRequest__Output {
  'identityId': (string);
  'since': (number);
  'kind': (string);
  'pageSize': (number);
  'pageToken': (string);
}
