// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetJwtBundleRequest as _mpcid_oracle_v1_GetJwtBundleRequest, GetJwtBundleRequest__Output as _mpcid_oracle_v1_GetJwtBundleRequest__Output } from '../../../mpcid/oracle/v1/GetJwtBundleRequest.js';
import type { GetJwtBundleResponse as _mpcid_oracle_v1_GetJwtBundleResponse, GetJwtBundleResponse__Output as _mpcid_oracle_v1_GetJwtBundleResponse__Output } from '../../../mpcid/oracle/v1/GetJwtBundleResponse.js';

export interface BundleClient extends grpc.Client {
  GetJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  GetJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  GetJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  GetJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  getJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  getJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  getJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  getJwtBundle(argument: _mpcid_oracle_v1_GetJwtBundleRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetJwtBundleResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface BundleHandlers extends grpc.UntypedServiceImplementation {
  GetJwtBundle: grpc.handleUnaryCall<_mpcid_oracle_v1_GetJwtBundleRequest__Output, _mpcid_oracle_v1_GetJwtBundleResponse>;
  
}

export interface BundleDefinition extends grpc.ServiceDefinition {
  GetJwtBundle: MethodDefinition<_mpcid_oracle_v1_GetJwtBundleRequest, _mpcid_oracle_v1_GetJwtBundleResponse, _mpcid_oracle_v1_GetJwtBundleRequest__Output, _mpcid_oracle_v1_GetJwtBundleResponse__Output>
}
