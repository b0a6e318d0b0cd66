// Original file: mpcid/oracle/v1/oracle.proto


export interface IssuerAbortDetails {
  'culprit'?: (number);
  'check'?: (string);
  'accuser'?: (number);
}

export interface IssuerAbortDetails__Output {
  'culprit': (number);
  'check': (string);
  'accuser': (number);
}
