// Original file: mpcid/oracle/v1/oracle.proto


export interface GetNoncesRequest {
  'identityId'?: (string);
  'count'?: (number);
  'requestId'?: (Buffer | Uint8Array | string);
  'sessionSignature'?: (Buffer | Uint8Array | string);
}

export interface GetNoncesRequest__Output {
  'identityId': (string);
  'count': (number);
  'requestId': (Buffer);
  'sessionSignature': (Buffer);
}
