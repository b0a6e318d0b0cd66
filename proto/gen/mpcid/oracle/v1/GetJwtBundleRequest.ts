// Original file: mpcid/oracle/v1/oracle.proto


export interface GetJwtBundleRequest {
  'trustDomain'?: (string);
}

export interface GetJwtBundleRequest__Output {
  'trustDomain': (string);
}
