// Original file: mpcid/admin/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AlertEventMessage as _mpcid_admin_v1_AlertEventMessage, AlertEventMessage__Output as _mpcid_admin_v1_AlertEventMessage__Output } from '../../../mpcid/admin/v1/AlertEventMessage.js';
import type { CreateConsoleLoginRequest as _mpcid_admin_v1_CreateConsoleLoginRequest, CreateConsoleLoginRequest__Output as _mpcid_admin_v1_CreateConsoleLoginRequest__Output } from '../../../mpcid/admin/v1/CreateConsoleLoginRequest.js';
import type { CreateConsoleLoginResponse as _mpcid_admin_v1_CreateConsoleLoginResponse, CreateConsoleLoginResponse__Output as _mpcid_admin_v1_CreateConsoleLoginResponse__Output } from '../../../mpcid/admin/v1/CreateConsoleLoginResponse.js';
import type { CreateJoinTokenRequest as _mpcid_admin_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _mpcid_admin_v1_CreateJoinTokenRequest__Output } from '../../../mpcid/admin/v1/CreateJoinTokenRequest.js';
import type { CreateJoinTokenResponse as _mpcid_admin_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _mpcid_admin_v1_CreateJoinTokenResponse__Output } from '../../../mpcid/admin/v1/CreateJoinTokenResponse.js';
import type { GetIdentityRequest as _mpcid_admin_v1_GetIdentityRequest, GetIdentityRequest__Output as _mpcid_admin_v1_GetIdentityRequest__Output } from '../../../mpcid/admin/v1/GetIdentityRequest.js';
import type { GetNodeInfoRequest as _mpcid_admin_v1_GetNodeInfoRequest, GetNodeInfoRequest__Output as _mpcid_admin_v1_GetNodeInfoRequest__Output } from '../../../mpcid/admin/v1/GetNodeInfoRequest.js';
import type { Identity as _mpcid_admin_v1_Identity, Identity__Output as _mpcid_admin_v1_Identity__Output } from '../../../mpcid/admin/v1/Identity.js';
import type { ListAuditRequest as _mpcid_admin_v1_ListAuditRequest, ListAuditRequest__Output as _mpcid_admin_v1_ListAuditRequest__Output } from '../../../mpcid/admin/v1/ListAuditRequest.js';
import type { ListAuditResponse as _mpcid_admin_v1_ListAuditResponse, ListAuditResponse__Output as _mpcid_admin_v1_ListAuditResponse__Output } from '../../../mpcid/admin/v1/ListAuditResponse.js';
import type { ListDeadLettersRequest as _mpcid_admin_v1_ListDeadLettersRequest, ListDeadLettersRequest__Output as _mpcid_admin_v1_ListDeadLettersRequest__Output } from '../../../mpcid/admin/v1/ListDeadLettersRequest.js';
import type { ListDeadLettersResponse as _mpcid_admin_v1_ListDeadLettersResponse, ListDeadLettersResponse__Output as _mpcid_admin_v1_ListDeadLettersResponse__Output } from '../../../mpcid/admin/v1/ListDeadLettersResponse.js';
import type { ListIdentitiesRequest as _mpcid_admin_v1_ListIdentitiesRequest, ListIdentitiesRequest__Output as _mpcid_admin_v1_ListIdentitiesRequest__Output } from '../../../mpcid/admin/v1/ListIdentitiesRequest.js';
import type { ListIdentitiesResponse as _mpcid_admin_v1_ListIdentitiesResponse, ListIdentitiesResponse__Output as _mpcid_admin_v1_ListIdentitiesResponse__Output } from '../../../mpcid/admin/v1/ListIdentitiesResponse.js';
import type { NodeInfo as _mpcid_admin_v1_NodeInfo, NodeInfo__Output as _mpcid_admin_v1_NodeInfo__Output } from '../../../mpcid/admin/v1/NodeInfo.js';
import type { RevocationInfo as _mpcid_admin_v1_RevocationInfo, RevocationInfo__Output as _mpcid_admin_v1_RevocationInfo__Output } from '../../../mpcid/admin/v1/RevocationInfo.js';
import type { RevokeIdentityRequest as _mpcid_admin_v1_RevokeIdentityRequest, RevokeIdentityRequest__Output as _mpcid_admin_v1_RevokeIdentityRequest__Output } from '../../../mpcid/admin/v1/RevokeIdentityRequest.js';
import type { RevokeIdentityResponse as _mpcid_admin_v1_RevokeIdentityResponse, RevokeIdentityResponse__Output as _mpcid_admin_v1_RevokeIdentityResponse__Output } from '../../../mpcid/admin/v1/RevokeIdentityResponse.js';
import type { WatchAlertsRequest as _mpcid_admin_v1_WatchAlertsRequest, WatchAlertsRequest__Output as _mpcid_admin_v1_WatchAlertsRequest__Output } from '../../../mpcid/admin/v1/WatchAlertsRequest.js';

export interface AdminClient extends grpc.Client {
  CreateConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  CreateConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  CreateConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  CreateConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  createConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  createConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  createConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  createConsoleLogin(argument: _mpcid_admin_v1_CreateConsoleLoginRequest, callback: grpc.requestCallback<_mpcid_admin_v1_CreateConsoleLoginResponse__Output>): grpc.ClientUnaryCall;
  
  CreateJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _mpcid_admin_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_mpcid_admin_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  
  GetIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  GetIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  GetIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  GetIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  getIdentity(argument: _mpcid_admin_v1_GetIdentityRequest, callback: grpc.requestCallback<_mpcid_admin_v1_Identity__Output>): grpc.ClientUnaryCall;
  
  GetNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  GetNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  GetNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  GetNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  getNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  getNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  getNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  getNodeInfo(argument: _mpcid_admin_v1_GetNodeInfoRequest, callback: grpc.requestCallback<_mpcid_admin_v1_NodeInfo__Output>): grpc.ClientUnaryCall;
  
  GetRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  GetRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  GetRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  GetRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  getRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  getRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  getRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  getRevocation(argument: _mpcid_admin_v1_GetIdentityRequest, callback: grpc.requestCallback<_mpcid_admin_v1_RevocationInfo__Output>): grpc.ClientUnaryCall;
  
  ListAudit(argument: _mpcid_admin_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _mpcid_admin_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _mpcid_admin_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _mpcid_admin_v1_ListAuditRequest, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _mpcid_admin_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _mpcid_admin_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _mpcid_admin_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _mpcid_admin_v1_ListAuditRequest, callback: grpc.requestCallback<_mpcid_admin_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  
  ListDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  ListDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  listDeadLetters(argument: _mpcid_admin_v1_ListDeadLettersRequest, callback: grpc.requestCallback<_mpcid_admin_v1_ListDeadLettersResponse__Output>): grpc.ClientUnaryCall;
  
  ListIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  ListIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  ListIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  ListIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  listIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  listIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  listIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  listIdentities(argument: _mpcid_admin_v1_ListIdentitiesRequest, callback: grpc.requestCallback<_mpcid_admin_v1_ListIdentitiesResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  RevokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  RevokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  RevokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  revokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  revokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  revokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  revokeIdentity(argument: _mpcid_admin_v1_RevokeIdentityRequest, callback: grpc.requestCallback<_mpcid_admin_v1_RevokeIdentityResponse__Output>): grpc.ClientUnaryCall;
  
  WatchAlerts(argument: _mpcid_admin_v1_WatchAlertsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mpcid_admin_v1_AlertEventMessage__Output>;
  WatchAlerts(argument: _mpcid_admin_v1_WatchAlertsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mpcid_admin_v1_AlertEventMessage__Output>;
  watchAlerts(argument: _mpcid_admin_v1_WatchAlertsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mpcid_admin_v1_AlertEventMessage__Output>;
  watchAlerts(argument: _mpcid_admin_v1_WatchAlertsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mpcid_admin_v1_AlertEventMessage__Output>;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  CreateConsoleLogin: grpc.handleUnaryCall<_mpcid_admin_v1_CreateConsoleLoginRequest__Output, _mpcid_admin_v1_CreateConsoleLoginResponse>;
  
  CreateJoinToken: grpc.handleUnaryCall<_mpcid_admin_v1_CreateJoinTokenRequest__Output, _mpcid_admin_v1_CreateJoinTokenResponse>;
  
  GetIdentity: grpc.handleUnaryCall<_mpcid_admin_v1_GetIdentityRequest__Output, _mpcid_admin_v1_Identity>;
  
  GetNodeInfo: grpc.handleUnaryCall<_mpcid_admin_v1_GetNodeInfoRequest__Output, _mpcid_admin_v1_NodeInfo>;
  
  GetRevocation: grpc.handleUnaryCall<_mpcid_admin_v1_GetIdentityRequest__Output, _mpcid_admin_v1_RevocationInfo>;
  
  ListAudit: grpc.handleUnaryCall<_mpcid_admin_v1_ListAuditRequest__Output, _mpcid_admin_v1_ListAuditResponse>;
  
  ListDeadLetters: grpc.handleUnaryCall<_mpcid_admin_v1_ListDeadLettersRequest__Output, _mpcid_admin_v1_ListDeadLettersResponse>;
  
  ListIdentities: grpc.handleUnaryCall<_mpcid_admin_v1_ListIdentitiesRequest__Output, _mpcid_admin_v1_ListIdentitiesResponse>;
  
  RevokeIdentity: grpc.handleUnaryCall<_mpcid_admin_v1_RevokeIdentityRequest__Output, _mpcid_admin_v1_RevokeIdentityResponse>;
  
  WatchAlerts: grpc.handleServerStreamingCall<_mpcid_admin_v1_WatchAlertsRequest__Output, _mpcid_admin_v1_AlertEventMessage>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  CreateConsoleLogin: MethodDefinition<_mpcid_admin_v1_CreateConsoleLoginRequest, _mpcid_admin_v1_CreateConsoleLoginResponse, _mpcid_admin_v1_CreateConsoleLoginRequest__Output, _mpcid_admin_v1_CreateConsoleLoginResponse__Output>
  CreateJoinToken: MethodDefinition<_mpcid_admin_v1_CreateJoinTokenRequest, _mpcid_admin_v1_CreateJoinTokenResponse, _mpcid_admin_v1_CreateJoinTokenRequest__Output, _mpcid_admin_v1_CreateJoinTokenResponse__Output>
  GetIdentity: MethodDefinition<_mpcid_admin_v1_GetIdentityRequest, _mpcid_admin_v1_Identity, _mpcid_admin_v1_GetIdentityRequest__Output, _mpcid_admin_v1_Identity__Output>
  GetNodeInfo: MethodDefinition<_mpcid_admin_v1_GetNodeInfoRequest, _mpcid_admin_v1_NodeInfo, _mpcid_admin_v1_GetNodeInfoRequest__Output, _mpcid_admin_v1_NodeInfo__Output>
  GetRevocation: MethodDefinition<_mpcid_admin_v1_GetIdentityRequest, _mpcid_admin_v1_RevocationInfo, _mpcid_admin_v1_GetIdentityRequest__Output, _mpcid_admin_v1_RevocationInfo__Output>
  ListAudit: MethodDefinition<_mpcid_admin_v1_ListAuditRequest, _mpcid_admin_v1_ListAuditResponse, _mpcid_admin_v1_ListAuditRequest__Output, _mpcid_admin_v1_ListAuditResponse__Output>
  ListDeadLetters: MethodDefinition<_mpcid_admin_v1_ListDeadLettersRequest, _mpcid_admin_v1_ListDeadLettersResponse, _mpcid_admin_v1_ListDeadLettersRequest__Output, _mpcid_admin_v1_ListDeadLettersResponse__Output>
  ListIdentities: MethodDefinition<_mpcid_admin_v1_ListIdentitiesRequest, _mpcid_admin_v1_ListIdentitiesResponse, _mpcid_admin_v1_ListIdentitiesRequest__Output, _mpcid_admin_v1_ListIdentitiesResponse__Output>
  RevokeIdentity: MethodDefinition<_mpcid_admin_v1_RevokeIdentityRequest, _mpcid_admin_v1_RevokeIdentityResponse, _mpcid_admin_v1_RevokeIdentityRequest__Output, _mpcid_admin_v1_RevokeIdentityResponse__Output>
  WatchAlerts: MethodDefinition<_mpcid_admin_v1_WatchAlertsRequest, _mpcid_admin_v1_AlertEventMessage, _mpcid_admin_v1_WatchAlertsRequest__Output, _mpcid_admin_v1_AlertEventMessage__Output>
}
