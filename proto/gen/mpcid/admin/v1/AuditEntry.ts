// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditEntry {
  'identityId'?: (string);
  'counter'?: (number | string | Long);
  'kind'?: (string);
  'time'?: (number | string | Long);
  'client'?: (string);
  'jti'?: (string);
  'audJson'?: (string);
  'exp'?: (number | string | Long);
  'typ'?: (string);
  'refusal'?: (string);
  'blobId'?: (string);
  'register'?: (number);
  'measured'?: (string);
}

export interface AuditEntry__Output {
  'identityId': (string);
  'counter': (number);
  'kind': (string);
  'time': (number);
  'client': (string);
  'jti': (string);
  'audJson': (string);
  'exp': (number);
  'typ': (string);
  'refusal': (string);
  'blobId': (string);
  'register': (number);
  'measured': (string);
}
