// Original file: mpcid/agent/v1/workload.proto


export interface FetchJWTRequest {
  'audience'?: (string)[];
  'ttlSeconds'?: (number);
  'extraClaimsJson'?: (string);
  'alg'?: (string);
  'key'?: (string);
}

export interface FetchJWTRequest__Output {
  'audience': (string)[];
  'ttlSeconds': (number);
  'extraClaimsJson': (string);
  'alg': (string);
  'key': (string);
}
