// Original file: mpcid/agent/v1/workload.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AttestRequest as _mpcid_agent_v1_AttestRequest, AttestRequest__Output as _mpcid_agent_v1_AttestRequest__Output } from '../../../mpcid/agent/v1/AttestRequest.js';
import type { AttestResponse as _mpcid_agent_v1_AttestResponse, AttestResponse__Output as _mpcid_agent_v1_AttestResponse__Output } from '../../../mpcid/agent/v1/AttestResponse.js';
import type { FetchJWTRequest as _mpcid_agent_v1_FetchJWTRequest, FetchJWTRequest__Output as _mpcid_agent_v1_FetchJWTRequest__Output } from '../../../mpcid/agent/v1/FetchJWTRequest.js';
import type { FetchJWTResponse as _mpcid_agent_v1_FetchJWTResponse, FetchJWTResponse__Output as _mpcid_agent_v1_FetchJWTResponse__Output } from '../../../mpcid/agent/v1/FetchJWTResponse.js';
import type { GetIdentityRequest as _mpcid_agent_v1_GetIdentityRequest, GetIdentityRequest__Output as _mpcid_agent_v1_GetIdentityRequest__Output } from '../../../mpcid/agent/v1/GetIdentityRequest.js';
import type { MeasureRequest as _mpcid_agent_v1_MeasureRequest, MeasureRequest__Output as _mpcid_agent_v1_MeasureRequest__Output } from '../../../mpcid/agent/v1/MeasureRequest.js';
import type { ReadRegistersRequest as _mpcid_agent_v1_ReadRegistersRequest, ReadRegistersRequest__Output as _mpcid_agent_v1_ReadRegistersRequest__Output } from '../../../mpcid/agent/v1/ReadRegistersRequest.js';
import type { RegistersResponse as _mpcid_agent_v1_RegistersResponse, RegistersResponse__Output as _mpcid_agent_v1_RegistersResponse__Output } from '../../../mpcid/agent/v1/RegistersResponse.js';
import type { SealRequest as _mpcid_agent_v1_SealRequest, SealRequest__Output as _mpcid_agent_v1_SealRequest__Output } from '../../../mpcid/agent/v1/SealRequest.js';
import type { SealResponse as _mpcid_agent_v1_SealResponse, SealResponse__Output as _mpcid_agent_v1_SealResponse__Output } from '../../../mpcid/agent/v1/SealResponse.js';
import type { SignRequest as _mpcid_agent_v1_SignRequest, SignRequest__Output as _mpcid_agent_v1_SignRequest__Output } from '../../../mpcid/agent/v1/SignRequest.js';
import type { SignResponse as _mpcid_agent_v1_SignResponse, SignResponse__Output as _mpcid_agent_v1_SignResponse__Output } from '../../../mpcid/agent/v1/SignResponse.js';
import type { UnsealRequest as _mpcid_agent_v1_UnsealRequest, UnsealRequest__Output as _mpcid_agent_v1_UnsealRequest__Output } from '../../../mpcid/agent/v1/UnsealRequest.js';
import type { UnsealResponse as _mpcid_agent_v1_UnsealResponse, UnsealResponse__Output as _mpcid_agent_v1_UnsealResponse__Output } from '../../../mpcid/agent/v1/UnsealResponse.js';
import type { WorkloadIdentity as _mpcid_agent_v1_WorkloadIdentity, WorkloadIdentity__Output as _mpcid_agent_v1_WorkloadIdentity__Output } from '../../../mpcid/agent/v1/WorkloadIdentity.js';

export interface WorkloadClient extends grpc.Client {
  Attest(argument: _mpcid_agent_v1_AttestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  Attest(argument: _mpcid_agent_v1_AttestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  Attest(argument: _mpcid_agent_v1_AttestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  Attest(argument: _mpcid_agent_v1_AttestRequest, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  attest(argument: _mpcid_agent_v1_AttestRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  attest(argument: _mpcid_agent_v1_AttestRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  attest(argument: _mpcid_agent_v1_AttestRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  attest(argument: _mpcid_agent_v1_AttestRequest, callback: grpc.requestCallback<_mpcid_agent_v1_AttestResponse__Output>): grpc.ClientUnaryCall;
  
  FetchJWT(argument: _mpcid_agent_v1_FetchJWTRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  FetchJWT(argument: _mpcid_agent_v1_FetchJWTRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  FetchJWT(argument: _mpcid_agent_v1_FetchJWTRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  FetchJWT(argument: _mpcid_agent_v1_FetchJWTRequest, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  fetchJwt(argument: _mpcid_agent_v1_FetchJWTRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  fetchJwt(argument: _mpcid_agent_v1_FetchJWTRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  fetchJwt(argument: _mpcid_agent_v1_FetchJWTRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  fetchJwt(argument: _mpcid_agent_v1_FetchJWTRequest, callback: grpc.requestCallback<_mpcid_agent_v1_FetchJWTResponse__Output>): grpc.ClientUnaryCall;
  
  GetIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  GetIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  GetIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  GetIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_agent_v1_GetIdentityRequest, callback: grpc.requestCallback<_mpcid_agent_v1_WorkloadIdentity__Output>): grpc.ClientUnaryCall;
  
  Measure(argument: _mpcid_agent_v1_MeasureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  Measure(argument: _mpcid_agent_v1_MeasureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  Measure(argument: _mpcid_agent_v1_MeasureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  Measure(argument: _mpcid_agent_v1_MeasureRequest, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  measure(argument: _mpcid_agent_v1_MeasureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  measure(argument: _mpcid_agent_v1_MeasureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  measure(argument: _mpcid_agent_v1_MeasureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  measure(argument: _mpcid_agent_v1_MeasureRequest, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  
  ReadRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  ReadRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  ReadRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  ReadRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  readRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  readRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  readRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  readRegisters(argument: _mpcid_agent_v1_ReadRegistersRequest, callback: grpc.requestCallback<_mpcid_agent_v1_RegistersResponse__Output>): grpc.ClientUnaryCall;
  
  Seal(argument: _mpcid_agent_v1_SealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  Seal(argument: _mpcid_agent_v1_SealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  Seal(argument: _mpcid_agent_v1_SealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  Seal(argument: _mpcid_agent_v1_SealRequest, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  seal(argument: _mpcid_agent_v1_SealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  seal(argument: _mpcid_agent_v1_SealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  seal(argument: _mpcid_agent_v1_SealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  seal(argument: _mpcid_agent_v1_SealRequest, callback: grpc.requestCallback<_mpcid_agent_v1_SealResponse__Output>): grpc.ClientUnaryCall;
  
  Sign(argument: _mpcid_agent_v1_SignRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  Sign(argument: _mpcid_agent_v1_SignRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  Sign(argument: _mpcid_agent_v1_SignRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  Sign(argument: _mpcid_agent_v1_SignRequest, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  sign(argument: _mpcid_agent_v1_SignRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  sign(argument: _mpcid_agent_v1_SignRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  sign(argument: _mpcid_agent_v1_SignRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  sign(argument: _mpcid_agent_v1_SignRequest, callback: grpc.requestCallback<_mpcid_agent_v1_SignResponse__Output>): grpc.ClientUnaryCall;
  
  Unseal(argument: _mpcid_agent_v1_UnsealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  Unseal(argument: _mpcid_agent_v1_UnsealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  Unseal(argument: _mpcid_agent_v1_UnsealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  Unseal(argument: _mpcid_agent_v1_UnsealRequest, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_agent_v1_UnsealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_agent_v1_UnsealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_agent_v1_UnsealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_agent_v1_UnsealRequest, callback: grpc.requestCallback<_mpcid_agent_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WorkloadHandlers extends grpc.UntypedServiceImplementation {
  Attest: grpc.handleUnaryCall<_mpcid_agent_v1_AttestRequest__Output, _mpcid_agent_v1_AttestResponse>;
  
  FetchJWT: grpc.handleUnaryCall<_mpcid_agent_v1_FetchJWTRequest__Output, _mpcid_agent_v1_FetchJWTResponse>;
  
  GetIdentity: grpc.handleUnaryCall<_mpcid_agent_v1_GetIdentityRequest__Output, _mpcid_agent_v1_WorkloadIdentity>;
  
  Measure: grpc.handleUnaryCall<_mpcid_agent_v1_MeasureRequest__Output, _mpcid_agent_v1_RegistersResponse>;
  
  ReadRegisters: grpc.handleUnaryCall<_mpcid_agent_v1_ReadRegistersRequest__Output, _mpcid_agent_v1_RegistersResponse>;
  
  Seal: grpc.handleUnaryCall<_mpcid_agent_v1_SealRequest__Output, _mpcid_agent_v1_SealResponse>;
  
  Sign: grpc.handleUnaryCall<_mpcid_agent_v1_SignRequest__Output, _mpcid_agent_v1_SignResponse>;
  
  Unseal: grpc.handleUnaryCall<_mpcid_agent_v1_UnsealRequest__Output, _mpcid_agent_v1_UnsealResponse>;
  
}

export interface WorkloadDefinition extends grpc.ServiceDefinition {
  Attest: MethodDefinition<_mpcid_agent_v1_AttestRequest, _mpcid_agent_v1_AttestResponse, _mpcid_agent_v1_AttestRequest__Output, _mpcid_agent_v1_AttestResponse__Output>
  FetchJWT: MethodDefinition<_mpcid_agent_v1_FetchJWTRequest, _mpcid_agent_v1_FetchJWTResponse, _mpcid_agent_v1_FetchJWTRequest__Output, _mpcid_agent_v1_FetchJWTResponse__Output>
  GetIdentity: MethodDefinition<_mpcid_agent_v1_GetIdentityRequest, _mpcid_agent_v1_WorkloadIdentity, _mpcid_agent_v1_GetIdentityRequest__Output, _mpcid_agent_v1_WorkloadIdentity__Output>
  Measure: MethodDefinition<_mpcid_agent_v1_MeasureRequest, _mpcid_agent_v1_RegistersResponse, _mpcid_agent_v1_MeasureRequest__Output, _mpcid_agent_v1_RegistersResponse__Output>
  ReadRegisters: MethodDefinition<_mpcid_agent_v1_ReadRegistersRequest, _mpcid_agent_v1_RegistersResponse, _mpcid_agent_v1_ReadRegistersRequest__Output, _mpcid_agent_v1_RegistersResponse__Output>
  Seal: MethodDefinition<_mpcid_agent_v1_SealRequest, _mpcid_agent_v1_SealResponse, _mpcid_agent_v1_SealRequest__Output, _mpcid_agent_v1_SealResponse__Output>
  Sign: MethodDefinition<_mpcid_agent_v1_SignRequest, _mpcid_agent_v1_SignResponse, _mpcid_agent_v1_SignRequest__Output, _mpcid_agent_v1_SignResponse__Output>
  Unseal: MethodDefinition<_mpcid_agent_v1_UnsealRequest, _mpcid_agent_v1_UnsealResponse, _mpcid_agent_v1_UnsealRequest__Output, _mpcid_agent_v1_UnsealResponse__Output>
}
