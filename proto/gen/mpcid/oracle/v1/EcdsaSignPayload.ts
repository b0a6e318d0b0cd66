// Original file: mpcid/oracle/v1/oracle.proto


export interface EcdsaSignPayload {
  'message'?: (Buffer | Uint8Array | string);
  'oracles'?: (number)[];
  'presign'?: (Buffer | Uint8Array | string);
}

export interface EcdsaSignPayload__Output {
  'message': (Buffer);
  'oracles': (number)[];
  'presign': (Buffer);
}
