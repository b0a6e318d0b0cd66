// Original file: mpcid/agent/v1/workload.proto


export interface UnsealRequest {
  'blob'?: (Buffer | Uint8Array | string);
}

export interface UnsealRequest__Output {
  'blob': (Buffer);
}
