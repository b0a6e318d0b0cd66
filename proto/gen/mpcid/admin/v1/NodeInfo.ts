// Original file: mpcid/admin/v1/admin.proto


export interface NodeInfo {
  'nodeId'?: (number);
  'clusterId'?: (string);
  'n'?: (number);
  't'?: (number);
  'nodePublicKey'?: (Buffer | Uint8Array | string);
  'version'?: (string);
}

export interface NodeInfo__Output {
  'nodeId': (number);
  'clusterId': (string);
  'n': (number);
  't': (number);
  'nodePublicKey': (Buffer);
  'version': (string);
}
