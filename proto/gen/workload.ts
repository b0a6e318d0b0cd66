import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AttestRequest as _mpcid_agent_v1_AttestRequest, AttestRequest__Output as _mpcid_agent_v1_AttestRequest__Output } from './mpcid/agent/v1/AttestRequest.js';
import type { AttestResponse as _mpcid_agent_v1_AttestResponse, AttestResponse__Output as _mpcid_agent_v1_AttestResponse__Output } from './mpcid/agent/v1/AttestResponse.js';
import type { FetchJWTRequest as _mpcid_agent_v1_FetchJWTRequest, FetchJWTRequest__Output as _mpcid_agent_v1_FetchJWTRequest__Output } from './mpcid/agent/v1/FetchJWTRequest.js';
import type { FetchJWTResponse as _mpcid_agent_v1_FetchJWTResponse, FetchJWTResponse__Output as _mpcid_agent_v1_FetchJWTResponse__Output } from './mpcid/agent/v1/FetchJWTResponse.js';
import type { GetIdentityRequest as _mpcid_agent_v1_GetIdentityRequest, GetIdentityRequest__Output as _mpcid_agent_v1_GetIdentityRequest__Output } from './mpcid/agent/v1/GetIdentityRequest.js';
import type { MeasureRequest as _mpcid_agent_v1_MeasureRequest, MeasureRequest__Output as _mpcid_agent_v1_MeasureRequest__Output } from './mpcid/agent/v1/MeasureRequest.js';
import type { ReadRegistersRequest as _mpcid_agent_v1_ReadRegistersRequest, ReadRegistersRequest__Output as _mpcid_agent_v1_ReadRegistersRequest__Output } from './mpcid/agent/v1/ReadRegistersRequest.js';
import type { RegistersResponse as _mpcid_agent_v1_RegistersResponse, RegistersResponse__Output as _mpcid_agent_v1_RegistersResponse__Output } from './mpcid/agent/v1/RegistersResponse.js';
import type { SealRequest as _mpcid_agent_v1_SealRequest, SealRequest__Output as _mpcid_agent_v1_SealRequest__Output } from './mpcid/agent/v1/SealRequest.js';
import type { SealResponse as _mpcid_agent_v1_SealResponse, SealResponse__Output as _mpcid_agent_v1_SealResponse__Output } from './mpcid/agent/v1/SealResponse.js';
import type { SignRequest as _mpcid_agent_v1_SignRequest, SignRequest__Output as _mpcid_agent_v1_SignRequest__Output } from './mpcid/agent/v1/SignRequest.js';
import type { SignResponse as _mpcid_agent_v1_SignResponse, SignResponse__Output as _mpcid_agent_v1_SignResponse__Output } from './mpcid/agent/v1/SignResponse.js';
import type { UnsealRequest as _mpcid_agent_v1_UnsealRequest, UnsealRequest__Output as _mpcid_agent_v1_UnsealRequest__Output } from './mpcid/agent/v1/UnsealRequest.js';
import type { UnsealResponse as _mpcid_agent_v1_UnsealResponse, UnsealResponse__Output as _mpcid_agent_v1_UnsealResponse__Output } from './mpcid/agent/v1/UnsealResponse.js';
import type { WorkloadClient as _mpcid_agent_v1_WorkloadClient, WorkloadDefinition as _mpcid_agent_v1_WorkloadDefinition } from './mpcid/agent/v1/Workload.js';
import type { WorkloadIdentity as _mpcid_agent_v1_WorkloadIdentity, WorkloadIdentity__Output as _mpcid_agent_v1_WorkloadIdentity__Output } from './mpcid/agent/v1/WorkloadIdentity.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mpcid: {
    agent: {
      v1: {
        AttestRequest: MessageTypeDefinition<_mpcid_agent_v1_AttestRequest, _mpcid_agent_v1_AttestRequest__Output>
        AttestResponse: MessageTypeDefinition<_mpcid_agent_v1_AttestResponse, _mpcid_agent_v1_AttestResponse__Output>
        FetchJWTRequest: MessageTypeDefinition<_mpcid_agent_v1_FetchJWTRequest, _mpcid_agent_v1_FetchJWTRequest__Output>
        FetchJWTResponse: MessageTypeDefinition<_mpcid_agent_v1_FetchJWTResponse, _mpcid_agent_v1_FetchJWTResponse__Output>
        GetIdentityRequest: MessageTypeDefinition<_mpcid_agent_v1_GetIdentityRequest, _mpcid_agent_v1_GetIdentityRequest__Output>
        MeasureRequest: MessageTypeDefinition<_mpcid_agent_v1_MeasureRequest, _mpcid_agent_v1_MeasureRequest__Output>
        ReadRegistersRequest: MessageTypeDefinition<_mpcid_agent_v1_ReadRegistersRequest, _mpcid_agent_v1_ReadRegistersRequest__Output>
        RegistersResponse: MessageTypeDefinition<_mpcid_agent_v1_RegistersResponse, _mpcid_agent_v1_RegistersResponse__Output>
        SealRequest: MessageTypeDefinition<_mpcid_agent_v1_SealRequest, _mpcid_agent_v1_SealRequest__Output>
        SealResponse: MessageTypeDefinition<_mpcid_agent_v1_SealResponse, _mpcid_agent_v1_SealResponse__Output>
        SignRequest: MessageTypeDefinition<_mpcid_agent_v1_SignRequest, _mpcid_agent_v1_SignRequest__Output>
        SignResponse: MessageTypeDefinition<_mpcid_agent_v1_SignResponse, _mpcid_agent_v1_SignResponse__Output>
        UnsealRequest: MessageTypeDefinition<_mpcid_agent_v1_UnsealRequest, _mpcid_agent_v1_UnsealRequest__Output>
        UnsealResponse: MessageTypeDefinition<_mpcid_agent_v1_UnsealResponse, _mpcid_agent_v1_UnsealResponse__Output>
        Workload: SubtypeConstructor<typeof grpc.Client, _mpcid_agent_v1_WorkloadClient> & { service: _mpcid_agent_v1_WorkloadDefinition }
        WorkloadIdentity: MessageTypeDefinition<_mpcid_agent_v1_WorkloadIdentity, _mpcid_agent_v1_WorkloadIdentity__Output>
      }
    }
  }
}

