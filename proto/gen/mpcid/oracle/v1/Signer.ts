// Original file: mpcid/oracle/v1/oracle.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EcdsaRoundRequest as _mpcid_oracle_v1_EcdsaRoundRequest, EcdsaRoundRequest__Output as _mpcid_oracle_v1_EcdsaRoundRequest__Output } from '../../../mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaRoundResponse as _mpcid_oracle_v1_EcdsaRoundResponse, EcdsaRoundResponse__Output as _mpcid_oracle_v1_EcdsaRoundResponse__Output } from '../../../mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { GetCapabilitiesRequest as _mpcid_oracle_v1_GetCapabilitiesRequest, GetCapabilitiesRequest__Output as _mpcid_oracle_v1_GetCapabilitiesRequest__Output } from '../../../mpcid/oracle/v1/GetCapabilitiesRequest.js';
import type { GetCapabilitiesResponse as _mpcid_oracle_v1_GetCapabilitiesResponse, GetCapabilitiesResponse__Output as _mpcid_oracle_v1_GetCapabilitiesResponse__Output } from '../../../mpcid/oracle/v1/GetCapabilitiesResponse.js';
import type { GetNoncesRequest as _mpcid_oracle_v1_GetNoncesRequest, GetNoncesRequest__Output as _mpcid_oracle_v1_GetNoncesRequest__Output } from '../../../mpcid/oracle/v1/GetNoncesRequest.js';
import type { GetNoncesResponse as _mpcid_oracle_v1_GetNoncesResponse, GetNoncesResponse__Output as _mpcid_oracle_v1_GetNoncesResponse__Output } from '../../../mpcid/oracle/v1/GetNoncesResponse.js';
import type { ReportAbortRequest as _mpcid_oracle_v1_ReportAbortRequest, ReportAbortRequest__Output as _mpcid_oracle_v1_ReportAbortRequest__Output } from '../../../mpcid/oracle/v1/ReportAbortRequest.js';
import type { ReportAbortResponse as _mpcid_oracle_v1_ReportAbortResponse, ReportAbortResponse__Output as _mpcid_oracle_v1_ReportAbortResponse__Output } from '../../../mpcid/oracle/v1/ReportAbortResponse.js';
import type { StepCall as _mpcid_oracle_v1_StepCall, StepCall__Output as _mpcid_oracle_v1_StepCall__Output } from '../../../mpcid/oracle/v1/StepCall.js';
import type { StepRequest as _mpcid_oracle_v1_StepRequest, StepRequest__Output as _mpcid_oracle_v1_StepRequest__Output } from '../../../mpcid/oracle/v1/StepRequest.js';
import type { StepResponse as _mpcid_oracle_v1_StepResponse, StepResponse__Output as _mpcid_oracle_v1_StepResponse__Output } from '../../../mpcid/oracle/v1/StepResponse.js';
import type { StepResult as _mpcid_oracle_v1_StepResult, StepResult__Output as _mpcid_oracle_v1_StepResult__Output } from '../../../mpcid/oracle/v1/StepResult.js';
import type { UnsealRequest as _mpcid_oracle_v1_UnsealRequest, UnsealRequest__Output as _mpcid_oracle_v1_UnsealRequest__Output } from '../../../mpcid/oracle/v1/UnsealRequest.js';
import type { UnsealResponse as _mpcid_oracle_v1_UnsealResponse, UnsealResponse__Output as _mpcid_oracle_v1_UnsealResponse__Output } from '../../../mpcid/oracle/v1/UnsealResponse.js';

export interface SignerClient extends grpc.Client {
  EcdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  EcdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  EcdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  EcdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  ecdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  ecdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  ecdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  ecdsaRound(argument: _mpcid_oracle_v1_EcdsaRoundRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_EcdsaRoundResponse__Output>): grpc.ClientUnaryCall;
  
  GetCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  GetCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  GetCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  GetCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _mpcid_oracle_v1_GetCapabilitiesRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  
  GetNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  GetNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  GetNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  GetNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  getNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  getNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  getNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  getNonces(argument: _mpcid_oracle_v1_GetNoncesRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_GetNoncesResponse__Output>): grpc.ClientUnaryCall;
  
  ReportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  ReportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  ReportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  ReportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  reportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  reportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  reportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  reportAbort(argument: _mpcid_oracle_v1_ReportAbortRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_ReportAbortResponse__Output>): grpc.ClientUnaryCall;
  
  Step(argument: _mpcid_oracle_v1_StepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  Step(argument: _mpcid_oracle_v1_StepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  Step(argument: _mpcid_oracle_v1_StepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  Step(argument: _mpcid_oracle_v1_StepRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  step(argument: _mpcid_oracle_v1_StepRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  step(argument: _mpcid_oracle_v1_StepRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  step(argument: _mpcid_oracle_v1_StepRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  step(argument: _mpcid_oracle_v1_StepRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_StepResponse__Output>): grpc.ClientUnaryCall;
  
  Steps(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_mpcid_oracle_v1_StepCall, _mpcid_oracle_v1_StepResult__Output>;
  Steps(options?: grpc.CallOptions): grpc.ClientDuplexStream<_mpcid_oracle_v1_StepCall, _mpcid_oracle_v1_StepResult__Output>;
  steps(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_mpcid_oracle_v1_StepCall, _mpcid_oracle_v1_StepResult__Output>;
  steps(options?: grpc.CallOptions): grpc.ClientDuplexStream<_mpcid_oracle_v1_StepCall, _mpcid_oracle_v1_StepResult__Output>;
  
  Unseal(argument: _mpcid_oracle_v1_UnsealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  Unseal(argument: _mpcid_oracle_v1_UnsealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  Unseal(argument: _mpcid_oracle_v1_UnsealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  Unseal(argument: _mpcid_oracle_v1_UnsealRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_oracle_v1_UnsealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_oracle_v1_UnsealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_oracle_v1_UnsealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  unseal(argument: _mpcid_oracle_v1_UnsealRequest, callback: grpc.requestCallback<_mpcid_oracle_v1_UnsealResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SignerHandlers extends grpc.UntypedServiceImplementation {
  EcdsaRound: grpc.handleUnaryCall<_mpcid_oracle_v1_EcdsaRoundRequest__Output, _mpcid_oracle_v1_EcdsaRoundResponse>;
  
  GetCapabilities: grpc.handleUnaryCall<_mpcid_oracle_v1_GetCapabilitiesRequest__Output, _mpcid_oracle_v1_GetCapabilitiesResponse>;
  
  GetNonces: grpc.handleUnaryCall<_mpcid_oracle_v1_GetNoncesRequest__Output, _mpcid_oracle_v1_GetNoncesResponse>;
  
  ReportAbort: grpc.handleUnaryCall<_mpcid_oracle_v1_ReportAbortRequest__Output, _mpcid_oracle_v1_ReportAbortResponse>;
  
  Step: grpc.handleUnaryCall<_mpcid_oracle_v1_StepRequest__Output, _mpcid_oracle_v1_StepResponse>;
  
  Steps: grpc.handleBidiStreamingCall<_mpcid_oracle_v1_StepCall__Output, _mpcid_oracle_v1_StepResult>;
  
  Unseal: grpc.handleUnaryCall<_mpcid_oracle_v1_UnsealRequest__Output, _mpcid_oracle_v1_UnsealResponse>;
  
}

export interface SignerDefinition extends grpc.ServiceDefinition {
  EcdsaRound: MethodDefinition<_mpcid_oracle_v1_EcdsaRoundRequest, _mpcid_oracle_v1_EcdsaRoundResponse, _mpcid_oracle_v1_EcdsaRoundRequest__Output, _mpcid_oracle_v1_EcdsaRoundResponse__Output>
  GetCapabilities: MethodDefinition<_mpcid_oracle_v1_GetCapabilitiesRequest, _mpcid_oracle_v1_GetCapabilitiesResponse, _mpcid_oracle_v1_GetCapabilitiesRequest__Output, _mpcid_oracle_v1_GetCapabilitiesResponse__Output>
  GetNonces: MethodDefinition<_mpcid_oracle_v1_GetNoncesRequest, _mpcid_oracle_v1_GetNoncesResponse, _mpcid_oracle_v1_GetNoncesRequest__Output, _mpcid_oracle_v1_GetNoncesResponse__Output>
  ReportAbort: MethodDefinition<_mpcid_oracle_v1_ReportAbortRequest, _mpcid_oracle_v1_ReportAbortResponse, _mpcid_oracle_v1_ReportAbortRequest__Output, _mpcid_oracle_v1_ReportAbortResponse__Output>
  Step: MethodDefinition<_mpcid_oracle_v1_StepRequest, _mpcid_oracle_v1_StepResponse, _mpcid_oracle_v1_StepRequest__Output, _mpcid_oracle_v1_StepResponse__Output>
  Steps: MethodDefinition<_mpcid_oracle_v1_StepCall, _mpcid_oracle_v1_StepResult, _mpcid_oracle_v1_StepCall__Output, _mpcid_oracle_v1_StepResult__Output>
  Unseal: MethodDefinition<_mpcid_oracle_v1_UnsealRequest, _mpcid_oracle_v1_UnsealResponse, _mpcid_oracle_v1_UnsealRequest__Output, _mpcid_oracle_v1_UnsealResponse__Output>
}
