// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BeginEnrollmentRequest as _mpcid_oracle_v1_BeginEnrollmentRequest, BeginEnrollmentRequest__Output as _mpcid_oracle_v1_BeginEnrollmentRequest__Output } from '../../../mpcid/oracle/v1/BeginEnrollmentRequest.js';
import type { BeginEnrollmentResponse as _mpcid_oracle_v1_BeginEnrollmentResponse, BeginEnrollmentResponse__Output as _mpcid_oracle_v1_BeginEnrollmentResponse__Output } from '../../../mpcid/oracle/v1/BeginEnrollmentResponse.js';
import type { EcdsaSetupRequest as _mpcid_oracle_v1_EcdsaSetupRequest, EcdsaSetupRequest__Output as _mpcid_oracle_v1_EcdsaSetupRequest__Output } from '../../../mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse as _mpcid_oracle_v1_EcdsaSetupResponse, EcdsaSetupResponse__Output as _mpcid_oracle_v1_EcdsaSetupResponse__Output } from '../../../mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { ExchangeSharesRequest as _mpcid_oracle_v1_ExchangeSharesRequest, ExchangeSharesRequest__Output as _mpcid_oracle_v1_ExchangeSharesRequest__Output } from '../../../mpcid/oracle/v1/ExchangeSharesRequest.js';
import type { ExchangeSharesResponse as _mpcid_oracle_v1_ExchangeSharesResponse, ExchangeSharesResponse__Output as _mpcid_oracle_v1_ExchangeSharesResponse__Output } from '../../../mpcid/oracle/v1/ExchangeSharesResponse.js';
import type { FinishEnrollmentRequest as _mpcid_oracle_v1_FinishEnrollmentRequest, FinishEnrollmentRequest__Output as _mpcid_oracle_v1_FinishEnrollmentRequest__Output } from '../../../mpcid/oracle/v1/FinishEnrollmentRequest.js';
import type { FinishEnrollmentResponse as _mpcid_oracle_v1_FinishEnrollmentResponse, FinishEnrollmentResponse__Output as _mpcid_oracle_v1_FinishEnrollmentResponse__Output } from '../../../mpcid/oracle/v1/FinishEnrollmentResponse.js';

export interface EnrollmentClient extends grpc.Client {
  BeginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  BeginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  BeginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  BeginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  beginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  beginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  beginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  beginEnrollment(argument: _mpcid_oracle_v1_BeginEnrollmentRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_BeginEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  
  EcdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  EcdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  EcdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  EcdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  ecdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  ecdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  ecdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  ecdsaSetup(argument: _mpcid_oracle_v1_EcdsaSetupRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaSetupResponse__Output>): grpc.ClientUnaryCall;
  
  ExchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  ExchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  ExchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  ExchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  exchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  exchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  exchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  exchangeShares(argument: _mpcid_oracle_v1_ExchangeSharesRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_ExchangeSharesResponse__Output>): grpc.ClientUnaryCall;
  
  FinishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  FinishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  FinishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  FinishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  finishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  finishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  finishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  finishEnrollment(argument: _mpcid_oracle_v1_FinishEnrollmentRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_FinishEnrollmentResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface EnrollmentHandlers extends grpc.UntypedServiceImplementation {
  BeginEnrollment: grpc.handleUnaryCall<_mpcid_oracle_v1_BeginEnrollmentRequest__Output, _mpcid_oracle_v1_BeginEnrollmentResponse>;
  
  EcdsaSetup: grpc.handleUnaryCall<_mpcid_oracle_v1_EcdsaSetupRequest__Output, _mpcid_oracle_v1_EcdsaSetupResponse>;
  
  ExchangeShares: grpc.handleUnaryCall<_mpcid_oracle_v1_ExchangeSharesRequest__Output, _mpcid_oracle_v1_ExchangeSharesResponse>;
  
  FinishEnrollment: grpc.handleUnaryCall<_mpcid_oracle_v1_FinishEnrollmentRequest__Output, _mpcid_oracle_v1_FinishEnrollmentResponse>;
  
}

export interface EnrollmentDefinition extends grpc.ServiceDefinition {
  BeginEnrollment: MethodDefinition<_mpcid_oracle_v1_BeginEnrollmentRequest, _mpcid_oracle_v1_BeginEnrollmentResponse, _mpcid_oracle_v1_BeginEnrollmentRequest__Output, _mpcid_oracle_v1_BeginEnrollmentResponse__Output>
  EcdsaSetup: MethodDefinition<_mpcid_oracle_v1_EcdsaSetupRequest, _mpcid_oracle_v1_EcdsaSetupResponse, _mpcid_oracle_v1_EcdsaSetupRequest__Output, _mpcid_oracle_v1_EcdsaSetupResponse__Output>
  ExchangeShares: MethodDefinition<_mpcid_oracle_v1_ExchangeSharesRequest, _mpcid_oracle_v1_ExchangeSharesResponse, _mpcid_oracle_v1_ExchangeSharesRequest__Output, _mpcid_oracle_v1_ExchangeSharesResponse__Output>
  FinishEnrollment: MethodDefinition<_mpcid_oracle_v1_FinishEnrollmentRequest, _mpcid_oracle_v1_FinishEnrollmentResponse, _mpcid_oracle_v1_FinishEnrollmentRequest__Output, _mpcid_oracle_v1_FinishEnrollmentResponse__Output>
}
