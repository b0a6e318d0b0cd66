// Original file: mpcid/admin/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RotateIssuerRequest as _mpcid_admin_v1_RotateIssuerRequest, RotateIssuerRequest__Output as _mpcid_admin_v1_RotateIssuerRequest__Output } from '../../../mpcid/admin/v1/RotateIssuerRequest.js';
import type { RotateIssuerResponse as _mpcid_admin_v1_RotateIssuerResponse, RotateIssuerResponse__Output as _mpcid_admin_v1_RotateIssuerResponse__Output } from '../../../mpcid/admin/v1/RotateIssuerResponse.js';

export interface IssuerAdminClient extends grpc.Client {
  RotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  RotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  RotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  RotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  rotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  rotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  rotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  rotateIssuer(argument: _mpcid_admin_v1_RotateIssuerRequest, callback: grpc.requestCallback<_mpcid_admin_v1_RotateIssuerResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface IssuerAdminHandlers extends grpc.UntypedServiceImplementation {
  RotateIssuer: grpc.handleUnaryCall<_mpcid_admin_v1_RotateIssuerRequest__Output, _mpcid_admin_v1_RotateIssuerResponse>;
  
}

export interface IssuerAdminDefinition extends grpc.ServiceDefinition {
  RotateIssuer: MethodDefinition<_mpcid_admin_v1_RotateIssuerRequest, _mpcid_admin_v1_RotateIssuerResponse, _mpcid_admin_v1_RotateIssuerRequest__Output, _mpcid_admin_v1_RotateIssuerResponse__Output>
}
