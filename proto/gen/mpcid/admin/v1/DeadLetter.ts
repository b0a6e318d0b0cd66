// Original file: mpcid/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface DeadLetter {
  'webhook'?: (number);
  'sink'?: (string);
  'seq'?: (number | string | Long);
  'eventId'?: (string);
  'json'?: (string);
  'attempts'?: (number);
  'queuedAt'?: (number | string | Long);
  'deadAt'?: (number | string | Long);
  'bound'?: (string);
  'lastError'?: (string);
}

export interface DeadLetter__Output {
  'webhook': (number);
  'sink': (string);
  'seq': (number);
  'eventId': (string);
  'json': (string);
  'attempts': (number);
  'queuedAt': (number);
  'deadAt': (number);
  'bound': (string);
  'lastError': (string);
}
