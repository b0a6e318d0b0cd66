// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetIssuerKeysRequest as _mpcid_oracle_v1_GetIssuerKeysRequest, GetIssuerKeysRequest__Output as _mpcid_oracle_v1_GetIssuerKeysRequest__Output } from '../../../mpcid/oracle/v1/GetIssuerKeysRequest.js';
import type { GetIssuerKeysResponse as _mpcid_oracle_v1_GetIssuerKeysResponse, GetIssuerKeysResponse__Output as _mpcid_oracle_v1_GetIssuerKeysResponse__Output } from '../../../mpcid/oracle/v1/GetIssuerKeysResponse.js';
import type { IssuerRoundRequest as _mpcid_oracle_v1_IssuerRoundRequest, IssuerRoundRequest__Output as _mpcid_oracle_v1_IssuerRoundRequest__Output } from '../../../mpcid/oracle/v1/IssuerRoundRequest.js';
import type { IssuerRoundResponse as _mpcid_oracle_v1_IssuerRoundResponse, IssuerRoundResponse__Output as _mpcid_oracle_v1_IssuerRoundResponse__Output } from '../../../mpcid/oracle/v1/IssuerRoundResponse.js';

export interface IssuerClient extends grpc.Client {
  GetIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  GetIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  GetIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  GetIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  getIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  getIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  getIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  getIssuerKeys(argument: _mpcid_oracle_v1_GetIssuerKeysRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetIssuerKeysResponse__Output>): grpc.ClientUnaryCall;
  
  IssuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  IssuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  IssuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  IssuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  issuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  issuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  issuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  issuerRound(argument: _mpcid_oracle_v1_IssuerRoundRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerRoundResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface IssuerHandlers extends grpc.UntypedServiceImplementation {
  GetIssuerKeys: grpc.handleUnaryCall<_mpcid_oracle_v1_GetIssuerKeysRequest__Output, _mpcid_oracle_v1_GetIssuerKeysResponse>;
  
  IssuerRound: grpc.handleUnaryCall<_mpcid_oracle_v1_IssuerRoundRequest__Output, _mpcid_oracle_v1_IssuerRoundResponse>;
  
}

export interface IssuerDefinition extends grpc.ServiceDefinition {
  GetIssuerKeys: MethodDefinition<_mpcid_oracle_v1_GetIssuerKeysRequest, _mpcid_oracle_v1_GetIssuerKeysResponse, _mpcid_oracle_v1_GetIssuerKeysRequest__Output, _mpcid_oracle_v1_GetIssuerKeysResponse__Output>
  IssuerRound: MethodDefinition<_mpcid_oracle_v1_IssuerRoundRequest, _mpcid_oracle_v1_IssuerRoundResponse, _mpcid_oracle_v1_IssuerRoundRequest__Output, _mpcid_oracle_v1_IssuerRoundResponse__Output>
}
