// Original file: mpcid/oracle/v1/oracle.proto


export interface PolicyRefusal {
  'code'?: (string);
  'message'?: (string);
}

export interface PolicyRefusal__Output {
  'code': (string);
  'message': (string);
}
