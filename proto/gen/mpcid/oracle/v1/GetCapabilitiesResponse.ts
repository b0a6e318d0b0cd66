// Original file: mpcid/oracle/v1/oracle.proto


export interface GetCapabilitiesResponse {
  'stepKinds'?: (string)[];
}

export interface GetCapabilitiesResponse__Output {
  'stepKinds': (string)[];
}
