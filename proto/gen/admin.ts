import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _mpcid_admin_v1_AdminClient, AdminDefinition as _mpcid_admin_v1_AdminDefinition } from './mpcid/admin/v1/Admin.js';
import type { AlertEventMessage as _mpcid_admin_v1_AlertEventMessage, AlertEventMessage__Output as _mpcid_admin_v1_AlertEventMessage__Output } from './mpcid/admin/v1/AlertEventMessage.js';
import type { AuditEntry as _mpcid_admin_v1_AuditEntry, AuditEntry__Output as _mpcid_admin_v1_AuditEntry__Output } from './mpcid/admin/v1/AuditEntry.js';
import type { CreateConsoleLoginRequest as _mpcid_admin_v1_CreateConsoleLoginRequest, CreateConsoleLoginRequest__Output as _mpcid_admin_v1_CreateConsoleLoginRequest__Output } from './mpcid/admin/v1/CreateConsoleLoginRequest.js';
import type { CreateConsoleLoginResponse as _mpcid_admin_v1_CreateConsoleLoginResponse, CreateConsoleLoginResponse__Output as _mpcid_admin_v1_CreateConsoleLoginResponse__Output } from './mpcid/admin/v1/CreateConsoleLoginResponse.js';
import type { CreateJoinTokenRequest as _mpcid_admin_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _mpcid_admin_v1_CreateJoinTokenRequest__Output } from './mpcid/admin/v1/CreateJoinTokenRequest.js';
import type { CreateJoinTokenResponse as _mpcid_admin_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _mpcid_admin_v1_CreateJoinTokenResponse__Output } from './mpcid/admin/v1/CreateJoinTokenResponse.js';
import type { DeadLetter as _mpcid_admin_v1_DeadLetter, DeadLetter__Output as _mpcid_admin_v1_DeadLetter__Output } from './mpcid/admin/v1/DeadLetter.js';
import type { GetIdentityRequest as _mpcid_admin_v1_GetIdentityRequest, GetIdentityRequest__Output as _mpcid_admin_v1_GetIdentityRequest__Output } from './mpcid/admin/v1/GetIdentityRequest.js';
import type { GetNodeInfoRequest as _mpcid_admin_v1_GetNodeInfoRequest, GetNodeInfoRequest__Output as _mpcid_admin_v1_GetNodeInfoRequest__Output } from './mpcid/admin/v1/GetNodeInfoRequest.js';
import type { Identity as _mpcid_admin_v1_Identity, Identity__Output as _mpcid_admin_v1_Identity__Output } from './mpcid/admin/v1/Identity.js';
import type { IssuerAdminClient as _mpcid_admin_v1_IssuerAdminClient, IssuerAdminDefinition as _mpcid_admin_v1_IssuerAdminDefinition } from './mpcid/admin/v1/IssuerAdmin.js';
import type { IssuerKeyInfo as _mpcid_admin_v1_IssuerKeyInfo, IssuerKeyInfo__Output as _mpcid_admin_v1_IssuerKeyInfo__Output } from './mpcid/admin/v1/IssuerKeyInfo.js';
import type { ListAuditRequest as _mpcid_admin_v1_ListAuditRequest, ListAuditRequest__Output as _mpcid_admin_v1_ListAuditRequest__Output } from './mpcid/admin/v1/ListAuditRequest.js';
import type { ListAuditResponse as _mpcid_admin_v1_ListAuditResponse, ListAuditResponse__Output as _mpcid_admin_v1_ListAuditResponse__Output } from './mpcid/admin/v1/ListAuditResponse.js';
import type { ListDeadLettersRequest as _mpcid_admin_v1_ListDeadLettersRequest, ListDeadLettersRequest__Output as _mpcid_admin_v1_ListDeadLettersRequest__Output } from './mpcid/admin/v1/ListDeadLettersRequest.js';
import type { ListDeadLettersResponse as _mpcid_admin_v1_ListDeadLettersResponse, ListDeadLettersResponse__Output as _mpcid_admin_v1_ListDeadLettersResponse__Output } from './mpcid/admin/v1/ListDeadLettersResponse.js';
import type { ListIdentitiesRequest as _mpcid_admin_v1_ListIdentitiesRequest, ListIdentitiesRequest__Output as _mpcid_admin_v1_ListIdentitiesRequest__Output } from './mpcid/admin/v1/ListIdentitiesRequest.js';
import type { ListIdentitiesResponse as _mpcid_admin_v1_ListIdentitiesResponse, ListIdentitiesResponse__Output as _mpcid_admin_v1_ListIdentitiesResponse__Output } from './mpcid/admin/v1/ListIdentitiesResponse.js';
import type { NodeInfo as _mpcid_admin_v1_NodeInfo, NodeInfo__Output as _mpcid_admin_v1_NodeInfo__Output } from './mpcid/admin/v1/NodeInfo.js';
import type { RevocationInfo as _mpcid_admin_v1_RevocationInfo, RevocationInfo__Output as _mpcid_admin_v1_RevocationInfo__Output } from './mpcid/admin/v1/RevocationInfo.js';
import type { RevokeIdentityRequest as _mpcid_admin_v1_RevokeIdentityRequest, RevokeIdentityRequest__Output as _mpcid_admin_v1_RevokeIdentityRequest__Output } from './mpcid/admin/v1/RevokeIdentityRequest.js';
import type { RevokeIdentityResponse as _mpcid_admin_v1_RevokeIdentityResponse, RevokeIdentityResponse__Output as _mpcid_admin_v1_RevokeIdentityResponse__Output } from './mpcid/admin/v1/RevokeIdentityResponse.js';
import type { RotateIssuerRequest as _mpcid_admin_v1_RotateIssuerRequest, RotateIssuerRequest__Output as _mpcid_admin_v1_RotateIssuerRequest__Output } from './mpcid/admin/v1/RotateIssuerRequest.js';
import type { RotateIssuerResponse as _mpcid_admin_v1_RotateIssuerResponse, RotateIssuerResponse__Output as _mpcid_admin_v1_RotateIssuerResponse__Output } from './mpcid/admin/v1/RotateIssuerResponse.js';
import type { WatchAlertsRequest as _mpcid_admin_v1_WatchAlertsRequest, WatchAlertsRequest__Output as _mpcid_admin_v1_WatchAlertsRequest__Output } from './mpcid/admin/v1/WatchAlertsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mpcid: {
    admin: {
      v1: {
        Admin: SubtypeConstructor<typeof grpc.Client, _mpcid_admin_v1_AdminClient> & { service: _mpcid_admin_v1_AdminDefinition }
        AlertEventMessage: MessageTypeDefinition<_mpcid_admin_v1_AlertEventMessage, _mpcid_admin_v1_AlertEventMessage__Output>
        AuditEntry: MessageTypeDefinition<_mpcid_admin_v1_AuditEntry, _mpcid_admin_v1_AuditEntry__Output>
        CreateConsoleLoginRequest: MessageTypeDefinition<_mpcid_admin_v1_CreateConsoleLoginRequest, _mpcid_admin_v1_CreateConsoleLoginRequest__Output>
        CreateConsoleLoginResponse: MessageTypeDefinition<_mpcid_admin_v1_CreateConsoleLoginResponse, _mpcid_admin_v1_CreateConsoleLoginResponse__Output>
        CreateJoinTokenRequest: MessageTypeDefinition<_mpcid_admin_v1_CreateJoinTokenRequest, _mpcid_admin_v1_CreateJoinTokenRequest__Output>
        CreateJoinTokenResponse: MessageTypeDefinition<_mpcid_admin_v1_CreateJoinTokenResponse, _mpcid_admin_v1_CreateJoinTokenResponse__Output>
        DeadLetter: MessageTypeDefinition<_mpcid_admin_v1_DeadLetter, _mpcid_admin_v1_DeadLetter__Output>
        GetIdentityRequest: MessageTypeDefinition<_mpcid_admin_v1_GetIdentityRequest, _mpcid_admin_v1_GetIdentityRequest__Output>
        GetNodeInfoRequest: MessageTypeDefinition<_mpcid_admin_v1_GetNodeInfoRequest, _mpcid_admin_v1_GetNodeInfoRequest__Output>
        Identity: MessageTypeDefinition<_mpcid_admin_v1_Identity, _mpcid_admin_v1_Identity__Output>
        IssuerAdmin: SubtypeConstructor<typeof grpc.Client, _mpcid_admin_v1_IssuerAdminClient> & { service: _mpcid_admin_v1_IssuerAdminDefinition }
        IssuerKeyInfo: MessageTypeDefinition<_mpcid_admin_v1_IssuerKeyInfo, _mpcid_admin_v1_IssuerKeyInfo__Output>
        ListAuditRequest: MessageTypeDefinition<_mpcid_admin_v1_ListAuditRequest, _mpcid_admin_v1_ListAuditRequest__Output>
        ListAuditResponse: MessageTypeDefinition<_mpcid_admin_v1_ListAuditResponse, _mpcid_admin_v1_ListAuditResponse__Output>
        ListDeadLettersRequest: MessageTypeDefinition<_mpcid_admin_v1_ListDeadLettersRequest, _mpcid_admin_v1_ListDeadLettersRequest__Output>
        ListDeadLettersResponse: MessageTypeDefinition<_mpcid_admin_v1_ListDeadLettersResponse, _mpcid_admin_v1_ListDeadLettersResponse__Output>
        ListIdentitiesRequest: MessageTypeDefinition<_mpcid_admin_v1_ListIdentitiesRequest, _mpcid_admin_v1_ListIdentitiesRequest__Output>
        ListIdentitiesResponse: MessageTypeDefinition<_mpcid_admin_v1_ListIdentitiesResponse, _mpcid_admin_v1_ListIdentitiesResponse__Output>
        NodeInfo: MessageTypeDefinition<_mpcid_admin_v1_NodeInfo, _mpcid_admin_v1_NodeInfo__Output>
        RevocationInfo: MessageTypeDefinition<_mpcid_admin_v1_RevocationInfo, _mpcid_admin_v1_RevocationInfo__Output>
        RevokeIdentityRequest: MessageTypeDefinition<_mpcid_admin_v1_RevokeIdentityRequest, _mpcid_admin_v1_RevokeIdentityRequest__Output>
        RevokeIdentityResponse: MessageTypeDefinition<_mpcid_admin_v1_RevokeIdentityResponse, _mpcid_admin_v1_RevokeIdentityResponse__Output>
        RotateIssuerRequest: MessageTypeDefinition<_mpcid_admin_v1_RotateIssuerRequest, _mpcid_admin_v1_RotateIssuerRequest__Output>
        RotateIssuerResponse: MessageTypeDefinition<_mpcid_admin_v1_RotateIssuerResponse, _mpcid_admin_v1_RotateIssuerResponse__Output>
        WatchAlertsRequest: MessageTypeDefinition<_mpcid_admin_v1_WatchAlertsRequest, _mpcid_admin_v1_WatchAlertsRequest__Output>
      }
    }
  }
}

