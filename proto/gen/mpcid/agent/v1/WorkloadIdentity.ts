// Original file: mpcid/agent/v1/workload.proto


export interface WorkloadIdentity {
  'name'?: (string);
  'kid'?: (string);
  'alg'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'clusterId'?: (string);
  'n'?: (number);
  't'?: (number);
  'es256Kid'?: (string);
  'es256PublicKey'?: (Buffer | Uint8Array | string);
}

export interface WorkloadIdentity__Output {
  'name': (string);
  'kid': (string);
  'alg': (string);
  'publicKey': (Buffer);
  'clusterId': (string);
  'n': (number);
  't': (number);
  'es256Kid': (string);
  'es256PublicKey': (Buffer);
}
