// Original file: mpcid/oracle/v1/oracle.proto


export interface EcdsaEnrolled {
  'nodeId'?: (number);
  'identityId'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'round1Digest'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface EcdsaEnrolled__Output {
  'nodeId': (number);
  'identityId': (string);
  'publicKey': (Buffer);
  'round1Digest': (Buffer);
  'signature': (Buffer);
}
