// Original file: mpcid/oracle/v1/oracle.proto

import type { Long } from '@grpc/proto-loader';

export interface MeasurePayload {
  'register'?: (number);
  'digest'?: (Buffer | Uint8Array | string);
  'previous'?: (number | string | Long);
  'values'?: (Buffer | Uint8Array | string)[];
}

export interface MeasurePayload__Output {
  'register': (number);
  'digest': (Buffer);
  'previous': (number);
  'values': (Buffer)[];
}
