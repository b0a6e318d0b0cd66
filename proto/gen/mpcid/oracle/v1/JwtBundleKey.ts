// Original file: mpcid/oracle/v1/oracle.proto


export interface JwtBundleKey {
  'kid'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'identityId'?: (string);
}

export interface JwtBundleKey__Output {
  'kid': (string);
  'publicKey': (Buffer);
  'identityId': (string);
}
