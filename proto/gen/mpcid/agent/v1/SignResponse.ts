// Original file: mpcid/agent/v1/workload.proto


export interface SignResponse {
  'alg'?: (string);
  'kid'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface SignResponse__Output {
  'alg': (string);
  'kid': (string);
  'publicKey': (Buffer);
  'signature': (Buffer);
}
