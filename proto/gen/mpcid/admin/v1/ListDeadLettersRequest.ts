// Original file: mpcid/admin/v1/admin.proto


export interface ListDeadLettersRequest {
  'limit'?: (number);
}

export interface ListDeadLettersRequest__Output {
  'limit': (number);
}
