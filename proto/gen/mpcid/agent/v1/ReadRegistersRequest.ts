// Original file: mpcid/agent/v1/workload.proto


export interface ReadRegistersRequest {
}

export interface ReadRegistersRequest__Output {
}
