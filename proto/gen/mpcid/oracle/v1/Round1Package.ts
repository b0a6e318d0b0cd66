// Original file: mpcid/oracle/v1/oracle.proto


export interface Round1Package {
  'participant'?: (number);
  'commitment'?: (Buffer | Uint8Array | string)[];
  'proofOfKnowledge'?: (Buffer | Uint8Array | string);
}

export interface Round1Package__Output {
  'participant': (number);
  'commitment': (Buffer)[];
  'proofOfKnowledge': (Buffer);
}
