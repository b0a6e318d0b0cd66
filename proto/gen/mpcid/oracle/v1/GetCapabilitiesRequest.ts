// Original file: mpcid/oracle/v1/oracle.proto


export interface GetCapabilitiesRequest {
}

export interface GetCapabilitiesRequest__Output {
}
