// Original file: mpcid/oracle/v1/oracle.proto


export interface PushRevocationResponse {
  'applied'?: (boolean);
}

export interface PushRevocationResponse__Output {
  'applied': (boolean);
}
