// Original file: mpcid/oracle/v1/oracle.proto


export interface SealedShare {
  'sender'?: (number);
  'recipient'?: (number);
  'sealed'?: (Buffer | Uint8Array | string);
}

export interface SealedShare__Output {
  'sender': (number);
  'recipient': (number);
  'sealed': (Buffer);
}
