// Original file: mpcid/agent/v1/workload.proto


export interface MeasureRequest {
  'register'?: (number);
  'digest'?: (Buffer | Uint8Array | string);
  'data'?: (Buffer | Uint8Array | string);
}

export interface MeasureRequest__Output {
  'register': (number);
  'digest': (Buffer);
  'data': (Buffer);
}
