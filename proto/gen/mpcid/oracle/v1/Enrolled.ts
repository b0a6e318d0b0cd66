// Original file: mpcid/oracle/v1/oracle.proto


export interface Enrolled {
  'nodeId'?: (number);
  'identityId'?: (string);
  'groupPublicKey'?: (Buffer | Uint8Array | string);
  'round1Digest'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface Enrolled__Output {
  'nodeId': (number);
  'identityId': (string);
  'groupPublicKey': (Buffer);
  'round1Digest': (Buffer);
  'signature': (Buffer);
}
