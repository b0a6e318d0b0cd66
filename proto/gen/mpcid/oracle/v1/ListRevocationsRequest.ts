// Original file: mpcid/oracle/v1/oracle.proto


export interface ListRevocationsRequest {
  'pageToken'?: (string);
  'pageSize'?: (number);
}

export interface ListRevocationsRequest__Output {
  'pageToken': (string);
  'pageSize': (number);
}
