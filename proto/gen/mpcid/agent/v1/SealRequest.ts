// Original file: mpcid/agent/v1/workload.proto


export interface SealRequest {
  'plaintext'?: (Buffer | Uint8Array | string);
  'policyJson'?: (string);
}

export interface SealRequest__Output {
  'plaintext': (Buffer);
  'policyJson': (string);
}
