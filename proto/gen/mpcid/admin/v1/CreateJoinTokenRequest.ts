// Original file: mpcid/admin/v1/admin.proto


export interface CreateJoinTokenRequest {
  'name'?: (string);
  'ttlSeconds'?: (number);
  'requiredClaimsJson'?: (string);
  'requiredRegistersJson'?: (string);
}

export interface CreateJoinTokenRequest__Output {
  'name': (string);
  'ttlSeconds': (number);
  'requiredClaimsJson': (string);
  'requiredRegistersJson': (string);
}
