// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { IssuerSetupRequest as _mpcid_oracle_v1_IssuerSetupRequest, IssuerSetupRequest__Output as _mpcid_oracle_v1_IssuerSetupRequest__Output } from '../../../mpcid/oracle/v1/IssuerSetupRequest.js';
import type { IssuerSetupResponse as _mpcid_oracle_v1_IssuerSetupResponse, IssuerSetupResponse__Output as _mpcid_oracle_v1_IssuerSetupResponse__Output } from '../../../mpcid/oracle/v1/IssuerSetupResponse.js';

export interface IssuerPeerClient extends grpc.Client {
  IssuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  IssuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  IssuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  IssuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  issuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  issuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  issuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  issuerSetup(argument: _mpcid_oracle_v1_IssuerSetupRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_IssuerSetupResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface IssuerPeerHandlers extends grpc.UntypedServiceImplementation {
  IssuerSetup: grpc.handleUnaryCall<_mpcid_oracle_v1_IssuerSetupRequest__Output, _mpcid_oracle_v1_IssuerSetupResponse>;
  
}

export interface IssuerPeerDefinition extends grpc.ServiceDefinition {
  IssuerSetup: MethodDefinition<_mpcid_oracle_v1_IssuerSetupRequest, _mpcid_oracle_v1_IssuerSetupResponse, _mpcid_oracle_v1_IssuerSetupRequest__Output, _mpcid_oracle_v1_IssuerSetupResponse__Output>
}
