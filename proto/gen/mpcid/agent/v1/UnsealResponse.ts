// Original file: mpcid/agent/v1/workload.proto


export interface UnsealResponse {
  'plaintext'?: (Buffer | Uint8Array | string);
  'policyJson'?: (string);
}

export interface UnsealResponse__Output {
  'plaintext': (Buffer);
  'policyJson': (string);
}
