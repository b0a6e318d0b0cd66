// Original file: mpcid/admin/v1/admin.proto


export interface RotateIssuerRequest {
}

export interface RotateIssuerRequest__Output {
}
