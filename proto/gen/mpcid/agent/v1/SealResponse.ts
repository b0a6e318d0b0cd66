// Original file: mpcid/agent/v1/workload.proto


export interface SealResponse {
  'blob'?: (Buffer | Uint8Array | string);
}

export interface SealResponse__Output {
  'blob': (Buffer);
}
