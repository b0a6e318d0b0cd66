// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  GetNoncesRequest as _mpcid_oracle_v1_GetNoncesRequest,
  GetNoncesRequest__Output as _mpcid_oracle_v1_GetNoncesRequest__Output,
} from '../../../mpcid/oracle/v1/GetNoncesRequest.js';
import type {
  GetNoncesResponse as _mpcid_oracle_v1_GetNoncesResponse,
  GetNoncesResponse__Output as _mpcid_oracle_v1_GetNoncesResponse__Output,
} from '../../../mpcid/oracle/v1/GetNoncesResponse.js';
import type {
  SignRequest as _mpcid_oracle_v1_SignRequest,
  SignRequest__Output as _mpcid_oracle_v1_SignRequest__Output,
} from '../../../mpcid/oracle/v1/SignRequest.js';
import type {
  SignResponse as _mpcid_oracle_v1_SignResponse,
  SignResponse__Output as _mpcid_oracle_v1_SignResponse__Output,
} from '../../../mpcid/oracle/v1/SignResponse.js';

export interface SignerClient extends grpc.Client {
  GetNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  GetNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  getNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  getNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  getNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;
  getNonces(
    argument: _mpcid_oracle_v1_GetNoncesRequest,
    callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>,
  ): grpc.ClientUnaryCall;

  Sign(
    argument: _mpcid_oracle_v1_SignRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  Sign(
    argument: _mpcid_oracle_v1_SignRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  Sign(
    argument: _mpcid_oracle_v1_SignRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  Sign(
    argument: _mpcid_oracle_v1_SignRequest,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  sign(
    argument: _mpcid_oracle_v1_SignRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  sign(
    argument: _mpcid_oracle_v1_SignRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  sign(
    argument: _mpcid_oracle_v1_SignRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
  sign(
    argument: _mpcid_oracle_v1_SignRequest,
    callback: grpc.requestCallback<_mpcid_oracle_v1_SignResponse__Output>,
  ): grpc.ClientUnaryCall;
}

export interface SignerHandlers extends grpc.UntypedServiceImplementation {
  GetNonces: grpc.handleUnaryCall<
    _mpcid_oracle_v1_GetNoncesRequest__Output,
    _mpcid_oracle_v1_GetNoncesResponse
  >;

  Sign: grpc.handleUnaryCall<_mpcid_oracle_v1_SignRequest__Output, _mpcid_oracle_v1_SignResponse>;
}

export interface SignerDefinition extends grpc.ServiceDefinition {
  GetNonces: MethodDefinition<
    _mpcid_oracle_v1_GetNoncesRequest,
    _mpcid_oracle_v1_GetNoncesResponse,
    _mpcid_oracle_v1_GetNoncesRequest__Output,
    _mpcid_oracle_v1_GetNoncesResponse__Output
  >;
  Sign: MethodDefinition<
    _mpcid_oracle_v1_SignRequest,
    _mpcid_oracle_v1_SignResponse,
    _mpcid_oracle_v1_SignRequest__Output,
    _mpcid_oracle_v1_SignResponse__Output
  >;
}
