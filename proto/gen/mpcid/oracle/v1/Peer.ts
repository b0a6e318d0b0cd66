// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ListRevocationsRequest as _mpcid_oracle_v1_ListRevocationsRequest, ListRevocationsRequest__Output as _mpcid_oracle_v1_ListRevocationsRequest__Output } from '../../../mpcid/oracle/v1/ListRevocationsRequest.js';
import type { ListRevocationsResponse as _mpcid_oracle_v1_ListRevocationsResponse, ListRevocationsResponse__Output as _mpcid_oracle_v1_ListRevocationsResponse__Output } from '../../../mpcid/oracle/v1/ListRevocationsResponse.js';
import type { PushRevocationRequest as _mpcid_oracle_v1_PushRevocationRequest, PushRevocationRequest__Output as _mpcid_oracle_v1_PushRevocationRequest__Output } from '../../../mpcid/oracle/v1/PushRevocationRequest.js';
import type { PushRevocationResponse as _mpcid_oracle_v1_PushRevocationResponse, PushRevocationResponse__Output as _mpcid_oracle_v1_PushRevocationResponse__Output } from '../../../mpcid/oracle/v1/PushRevocationResponse.js';

export interface PeerClient extends grpc.Client {
  ListRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  ListRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  ListRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  ListRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  listRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  listRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  listRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  listRevocations(argument: _mpcid_oracle_v1_ListRevocationsRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_ListRevocationsResponse__Output>): grpc.ClientUnaryCall;
  
  PushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  PushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  PushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  PushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  pushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  pushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  pushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  pushRevocation(argument: _mpcid_oracle_v1_PushRevocationRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_PushRevocationResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PeerHandlers extends grpc.UntypedServiceImplementation {
  ListRevocations: grpc.handleUnaryCall<_mpcid_oracle_v1_ListRevocationsRequest__Output, _mpcid_oracle_v1_ListRevocationsResponse>;
  
  PushRevocation: grpc.handleUnaryCall<_mpcid_oracle_v1_PushRevocationRequest__Output, _mpcid_oracle_v1_PushRevocationResponse>;
  
}

export interface PeerDefinition extends grpc.ServiceDefinition {
  ListRevocations: MethodDefinition<_mpcid_oracle_v1_ListRevocationsRequest, _mpcid_oracle_v1_ListRevocationsResponse, _mpcid_oracle_v1_ListRevocationsRequest__Output, _mpcid_oracle_v1_ListRevocationsResponse__Output>
  PushRevocation: MethodDefinition<_mpcid_oracle_v1_PushRevocationRequest, _mpcid_oracle_v1_PushRevocationResponse, _mpcid_oracle_v1_PushRevocationRequest__Output, _mpcid_oracle_v1_PushRevocationResponse__Output>
}
