// Original file: mpcid/oracle/v1/oracle.proto


export interface ReportAbortResponse {
  'revoked'?: (boolean);
  'evidenceDigest'?: (Buffer | Uint8Array | string);
}

export interface ReportAbortResponse__Output {
  'revoked': (boolean);
  'evidenceDigest': (Buffer);
}
