// Original file: mpcid/oracle/v1/oracle.proto


export interface GetIssuerKeysRequest {
}

export interface GetIssuerKeysRequest__Output {
}
