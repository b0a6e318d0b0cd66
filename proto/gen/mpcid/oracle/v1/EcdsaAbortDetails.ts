// Original file: mpcid/oracle/v1/oracle.proto


export interface EcdsaAbortDetails {
  'culprit'?: (number);
  'check'?: (string);
}

export interface EcdsaAbortDetails__Output {
  'culprit': (number);
  'check': (string);
}
