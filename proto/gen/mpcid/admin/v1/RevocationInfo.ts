// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface RevocationInfo {
  'identityId'?: (string);
  'name'?: (string);
  'evidenceJson'?: (string);
  'sessionPublicKey'?: (Buffer | Uint8Array | string);
  'digest'?: (string);
  'reason'?: (string);
  'detectedBy'?: (number);
  'detectedAt'?: (number | string | Long);
  'peers'?: (string)[];
  'counter'?: (number | string | Long);
  'appliedAt'?: (number | string | Long);
  'accuserPublicKey'?: (Buffer | Uint8Array | string);
}

export interface RevocationInfo__Output {
  'identityId': (string);
  'name': (string);
  'evidenceJson': (string);
  'sessionPublicKey': (Buffer);
  'digest': (string);
  'reason': (string);
  'detectedBy': (number);
  'detectedAt': (number);
  'peers': (string)[];
  'counter': (number);
  'appliedAt': (number);
  'accuserPublicKey': (Buffer);
}
