// Original file: mpcid/admin/v1/admin.proto


export interface GetNodeInfoRequest {
}

export interface GetNodeInfoRequest__Output {
}
