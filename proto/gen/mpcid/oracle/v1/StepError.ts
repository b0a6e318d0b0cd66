// Original file: mpcid/oracle/v1/oracle.proto


export interface StepError {
  'code'?: (number);
  'status'?: (Buffer | Uint8Array | string);
}

export interface StepError__Output {
  'code': (number);
  'status': (Buffer);
}
