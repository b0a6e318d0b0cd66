// Original file: mpcid/oracle/v1/oracle.proto


export interface EcdsaAbort {
  'accuser'?: (number);
  'culprit'?: (number);
  'check'?: (string);
  'signature'?: (Buffer | Uint8Array | string);
  'messageDigest'?: (Buffer | Uint8Array | string);
  'oracles'?: (number)[];
}

export interface EcdsaAbort__Output {
  'accuser': (number);
  'culprit': (number);
  'check': (string);
  'signature': (Buffer);
  'messageDigest': (Buffer);
  'oracles': (number)[];
}
