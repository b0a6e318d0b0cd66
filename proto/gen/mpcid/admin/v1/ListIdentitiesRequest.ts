// Original file: mpcid/admin/v1/admin.proto


export interface ListIdentitiesRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListIdentitiesRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
}
