// Original file: mpcid/agent/v1/workload.proto


export interface SignRequest {
  'message'?: (Buffer | Uint8Array | string);
  'alg'?: (string);
}

export interface SignRequest__Output {
  'message': (Buffer);
  'alg': (string);
}
