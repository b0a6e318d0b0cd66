// Original file: mpcid/admin/v1/admin.proto


export interface GetIdentityRequest {
  'identityId'?: (string);
}

export interface GetIdentityRequest__Output {
  'identityId': (string);
}
