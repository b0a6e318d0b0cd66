// Original file: mpcid/oracle/v1/oracle.proto


export interface RateLimitedDetails {
  'retryAfterMs'?: (number);
  'scope'?: (string);
  'rpc'?: (string);
}

export interface RateLimitedDetails__Output {
  'retryAfterMs': (number);
  'scope': (string);
  'rpc': (string);
}
