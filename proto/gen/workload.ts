import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetIdentityRequest as _mpcid_agent_v1_GetIdentityRequest, GetIdentityRequest__Output as _mpcid_agent_v1_GetIdentityRequest__Output } from './mpcid/agent/v1/GetIdentityRequest.js';
import type { SignRequest as _mpcid_agent_v1_SignRequest, SignRequest__Output as _mpcid_agent_v1_SignRequest__Output } from './mpcid/agent/v1/SignRequest.js';
import type { SignResponse as _mpcid_agent_v1_SignResponse, SignResponse__Output as _mpcid_agent_v1_SignResponse__Output } from './mpcid/agent/v1/SignResponse.js';
import type { WorkloadClient as _mpcid_agent_v1_WorkloadClient, WorkloadDefinition as _mpcid_agent_v1_WorkloadDefinition } from './mpcid/agent/v1/Workload.js';
import type { WorkloadIdentity as _mpcid_agent_v1_WorkloadIdentity, WorkloadIdentity__Output as _mpcid_agent_v1_WorkloadIdentity__Output } from './mpcid/agent/v1/WorkloadIdentity.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mpcid: {
    agent: {
      v1: {
        GetIdentityRequest: MessageTypeDefinition<_mpcid_agent_v1_GetIdentityRequest, _mpcid_agent_v1_GetIdentityRequest__Output>
        SignRequest: MessageTypeDefinition<_mpcid_agent_v1_SignRequest, _mpcid_agent_v1_SignRequest__Output>
        SignResponse: MessageTypeDefinition<_mpcid_agent_v1_SignResponse, _mpcid_agent_v1_SignResponse__Output>
        Workload: SubtypeConstructor<typeof grpc.Client, _mpcid_agent_v1_WorkloadClient> & { service: _mpcid_agent_v1_WorkloadDefinition }
        WorkloadIdentity: MessageTypeDefinition<_mpcid_agent_v1_WorkloadIdentity, _mpcid_agent_v1_WorkloadIdentity__Output>
      }
    }
  }
}

