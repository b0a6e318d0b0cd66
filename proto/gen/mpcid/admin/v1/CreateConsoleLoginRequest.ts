// Original file: mpcid/admin/v1/admin.proto


export interface CreateConsoleLoginRequest {
}

export interface CreateConsoleLoginRequest__Output {
}
