// Original file: mpcid/agent/v1/workload.proto


export interface GetIdentityRequest {
}

export interface GetIdentityRequest__Output {
}
