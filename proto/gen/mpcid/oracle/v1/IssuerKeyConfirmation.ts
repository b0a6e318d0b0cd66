// Original file: mpcid/oracle/v1/oracle.proto


export interface IssuerKeyConfirmation {
  'nodeId'?: (number);
  'publicKey'?: (Buffer | Uint8Array | string);
  'round1Digest'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface IssuerKeyConfirmation__Output {
  'nodeId': (number);
  'publicKey': (Buffer);
  'round1Digest': (Buffer);
  'signature': (Buffer);
}
