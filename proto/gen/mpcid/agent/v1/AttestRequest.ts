// Original file: mpcid/agent/v1/workload.proto


export interface AttestRequest {
  'nonce'?: (string);
  'claimsJson'?: (string);
  'audience'?: (string)[];
  'ttlSeconds'?: (number);
  'alg'?: (string);
}

export interface AttestRequest__Output {
  'nonce': (string);
  'claimsJson': (string);
  'audience': (string)[];
  'ttlSeconds': (number);
  'alg': (string);
}
