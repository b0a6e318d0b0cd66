// Original file: mpcid/oracle/v1/oracle.proto


export interface NonceCommitment {
  'participant'?: (number);
  'hiding'?: (Buffer | Uint8Array | string);
  'binding'?: (Buffer | Uint8Array | string);
}

export interface NonceCommitment__Output {
  'participant': (number);
  'hiding': (Buffer);
  'binding': (Buffer);
}
