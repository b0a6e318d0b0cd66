// Original file: mpcid/oracle/v1/oracle.proto


export interface Envelope {
  'from'?: (number);
  'to'?: (number);
  'round'?: (number);
  'sealed'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface Envelope__Output {
  'from': (number);
  'to': (number);
  'round': (number);
  'sealed': (Buffer);
  'signature': (Buffer);
}
