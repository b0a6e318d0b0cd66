import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BeginEnrollmentRequest as _mpcid_oracle_v1_BeginEnrollmentRequest, BeginEnrollmentRequest__Output as _mpcid_oracle_v1_BeginEnrollmentRequest__Output } from './mpcid/oracle/v1/BeginEnrollmentRequest.js';
import type { BeginEnrollmentResponse as _mpcid_oracle_v1_BeginEnrollmentResponse, BeginEnrollmentResponse__Output as _mpcid_oracle_v1_BeginEnrollmentResponse__Output } from './mpcid/oracle/v1/BeginEnrollmentResponse.js';
import type { BundleClient as _mpcid_oracle_v1_BundleClient, BundleDefinition as _mpcid_oracle_v1_BundleDefinition } from './mpcid/oracle/v1/Bundle.js';
import type { Commit as _mpcid_oracle_v1_Commit, Commit__Output as _mpcid_oracle_v1_Commit__Output } from './mpcid/oracle/v1/Commit.js';
import type { EcdsaAbort as _mpcid_oracle_v1_EcdsaAbort, EcdsaAbort__Output as _mpcid_oracle_v1_EcdsaAbort__Output } from './mpcid/oracle/v1/EcdsaAbort.js';
import type { EcdsaAbortDetails as _mpcid_oracle_v1_EcdsaAbortDetails, EcdsaAbortDetails__Output as _mpcid_oracle_v1_EcdsaAbortDetails__Output } from './mpcid/oracle/v1/EcdsaAbortDetails.js';
import type { EcdsaEnrolled as _mpcid_oracle_v1_EcdsaEnrolled, EcdsaEnrolled__Output as _mpcid_oracle_v1_EcdsaEnrolled__Output } from './mpcid/oracle/v1/EcdsaEnrolled.js';
import type { EcdsaRoundRequest as _mpcid_oracle_v1_EcdsaRoundRequest, EcdsaRoundRequest__Output as _mpcid_oracle_v1_EcdsaRoundRequest__Output } from './mpcid/oracle/v1/EcdsaRoundRequest.js';
import type { EcdsaRoundResponse as _mpcid_oracle_v1_EcdsaRoundResponse, EcdsaRoundResponse__Output as _mpcid_oracle_v1_EcdsaRoundResponse__Output } from './mpcid/oracle/v1/EcdsaRoundResponse.js';
import type { EcdsaSetupRequest as _mpcid_oracle_v1_EcdsaSetupRequest, EcdsaSetupRequest__Output as _mpcid_oracle_v1_EcdsaSetupRequest__Output } from './mpcid/oracle/v1/EcdsaSetupRequest.js';
import type { EcdsaSetupResponse as _mpcid_oracle_v1_EcdsaSetupResponse, EcdsaSetupResponse__Output as _mpcid_oracle_v1_EcdsaSetupResponse__Output } from './mpcid/oracle/v1/EcdsaSetupResponse.js';
import type { EcdsaSignPayload as _mpcid_oracle_v1_EcdsaSignPayload, EcdsaSignPayload__Output as _mpcid_oracle_v1_EcdsaSignPayload__Output } from './mpcid/oracle/v1/EcdsaSignPayload.js';
import type { Enrolled as _mpcid_oracle_v1_Enrolled, Enrolled__Output as _mpcid_oracle_v1_Enrolled__Output } from './mpcid/oracle/v1/Enrolled.js';
import type { EnrollmentClient as _mpcid_oracle_v1_EnrollmentClient, EnrollmentDefinition as _mpcid_oracle_v1_EnrollmentDefinition } from './mpcid/oracle/v1/Enrollment.js';
import type { Envelope as _mpcid_oracle_v1_Envelope, Envelope__Output as _mpcid_oracle_v1_Envelope__Output } from './mpcid/oracle/v1/Envelope.js';
import type { ErrorDetails as _mpcid_oracle_v1_ErrorDetails, ErrorDetails__Output as _mpcid_oracle_v1_ErrorDetails__Output } from './mpcid/oracle/v1/ErrorDetails.js';
import type { Evidence as _mpcid_oracle_v1_Evidence, Evidence__Output as _mpcid_oracle_v1_Evidence__Output } from './mpcid/oracle/v1/Evidence.js';
import type { ExchangeSharesRequest as _mpcid_oracle_v1_ExchangeSharesRequest, ExchangeSharesRequest__Output as _mpcid_oracle_v1_ExchangeSharesRequest__Output } from './mpcid/oracle/v1/ExchangeSharesRequest.js';
import type { ExchangeSharesResponse as _mpcid_oracle_v1_ExchangeSharesResponse, ExchangeSharesResponse__Output as _mpcid_oracle_v1_ExchangeSharesResponse__Output } from './mpcid/oracle/v1/ExchangeSharesResponse.js';
import type { FinishEnrollmentRequest as _mpcid_oracle_v1_FinishEnrollmentRequest, FinishEnrollmentRequest__Output as _mpcid_oracle_v1_FinishEnrollmentRequest__Output } from './mpcid/oracle/v1/FinishEnrollmentRequest.js';
import type { FinishEnrollmentResponse as _mpcid_oracle_v1_FinishEnrollmentResponse, FinishEnrollmentResponse__Output as _mpcid_oracle_v1_FinishEnrollmentResponse__Output } from './mpcid/oracle/v1/FinishEnrollmentResponse.js';
import type { GetCapabilitiesRequest as _mpcid_oracle_v1_GetCapabilitiesRequest, GetCapabilitiesRequest__Output as _mpcid_oracle_v1_GetCapabilitiesRequest__Output } from './mpcid/oracle/v1/GetCapabilitiesRequest.js';
import type { GetCapabilitiesResponse as _mpcid_oracle_v1_GetCapabilitiesResponse, GetCapabilitiesResponse__Output as _mpcid_oracle_v1_GetCapabilitiesResponse__Output } from './mpcid/oracle/v1/GetCapabilitiesResponse.js';
import type { GetIssuerKeysRequest as _mpcid_oracle_v1_GetIssuerKeysRequest, GetIssuerKeysRequest__Output as _mpcid_oracle_v1_GetIssuerKeysRequest__Output } from './mpcid/oracle/v1/GetIssuerKeysRequest.js';
import type { GetIssuerKeysResponse as _mpcid_oracle_v1_GetIssuerKeysResponse, GetIssuerKeysResponse__Output as _mpcid_oracle_v1_GetIssuerKeysResponse__Output } from './mpcid/oracle/v1/GetIssuerKeysResponse.js';
import type { GetJwtBundleRequest as _mpcid_oracle_v1_GetJwtBundleRequest, GetJwtBundleRequest__Output as _mpcid_oracle_v1_GetJwtBundleRequest__Output } from './mpcid/oracle/v1/GetJwtBundleRequest.js';
import type { GetJwtBundleResponse as _mpcid_oracle_v1_GetJwtBundleResponse, GetJwtBundleResponse__Output as _mpcid_oracle_v1_GetJwtBundleResponse__Output } from './mpcid/oracle/v1/GetJwtBundleResponse.js';
import type { GetNoncesRequest as _mpcid_oracle_v1_GetNoncesRequest, GetNoncesRequest__Output as _mpcid_oracle_v1_GetNoncesRequest__Output } from './mpcid/oracle/v1/GetNoncesRequest.js';
import type { GetNoncesResponse as _mpcid_oracle_v1_GetNoncesResponse, GetNoncesResponse__Output as _mpcid_oracle_v1_GetNoncesResponse__Output } from './mpcid/oracle/v1/GetNoncesResponse.js';
import type { IssuerClient as _mpcid_oracle_v1_IssuerClient, IssuerDefinition as _mpcid_oracle_v1_IssuerDefinition } from './mpcid/oracle/v1/Issuer.js';
import type { IssuerAbortDetails as _mpcid_oracle_v1_IssuerAbortDetails, IssuerAbortDetails__Output as _mpcid_oracle_v1_IssuerAbortDetails__Output } from './mpcid/oracle/v1/IssuerAbortDetails.js';
import type { IssuerKey as _mpcid_oracle_v1_IssuerKey, IssuerKey__Output as _mpcid_oracle_v1_IssuerKey__Output } from './mpcid/oracle/v1/IssuerKey.js';
import type { IssuerKeyConfirmation as _mpcid_oracle_v1_IssuerKeyConfirmation, IssuerKeyConfirmation__Output as _mpcid_oracle_v1_IssuerKeyConfirmation__Output } from './mpcid/oracle/v1/IssuerKeyConfirmation.js';
import type { IssuerPeerClient as _mpcid_oracle_v1_IssuerPeerClient, IssuerPeerDefinition as _mpcid_oracle_v1_IssuerPeerDefinition } from './mpcid/oracle/v1/IssuerPeer.js';
import type { IssuerRoundRequest as _mpcid_oracle_v1_IssuerRoundRequest, IssuerRoundRequest__Output as _mpcid_oracle_v1_IssuerRoundRequest__Output } from './mpcid/oracle/v1/IssuerRoundRequest.js';
import type { IssuerRoundResponse as _mpcid_oracle_v1_IssuerRoundResponse, IssuerRoundResponse__Output as _mpcid_oracle_v1_IssuerRoundResponse__Output } from './mpcid/oracle/v1/IssuerRoundResponse.js';
import type { IssuerSetupRequest as _mpcid_oracle_v1_IssuerSetupRequest, IssuerSetupRequest__Output as _mpcid_oracle_v1_IssuerSetupRequest__Output } from './mpcid/oracle/v1/IssuerSetupRequest.js';
import type { IssuerSetupResponse as _mpcid_oracle_v1_IssuerSetupResponse, IssuerSetupResponse__Output as _mpcid_oracle_v1_IssuerSetupResponse__Output } from './mpcid/oracle/v1/IssuerSetupResponse.js';
import type { JwtBundleKey as _mpcid_oracle_v1_JwtBundleKey, JwtBundleKey__Output as _mpcid_oracle_v1_JwtBundleKey__Output } from './mpcid/oracle/v1/JwtBundleKey.js';
import type { ListRevocationsRequest as _mpcid_oracle_v1_ListRevocationsRequest, ListRevocationsRequest__Output as _mpcid_oracle_v1_ListRevocationsRequest__Output } from './mpcid/oracle/v1/ListRevocationsRequest.js';
import type { ListRevocationsResponse as _mpcid_oracle_v1_ListRevocationsResponse, ListRevocationsResponse__Output as _mpcid_oracle_v1_ListRevocationsResponse__Output } from './mpcid/oracle/v1/ListRevocationsResponse.js';
import type { MeasurePayload as _mpcid_oracle_v1_MeasurePayload, MeasurePayload__Output as _mpcid_oracle_v1_MeasurePayload__Output } from './mpcid/oracle/v1/MeasurePayload.js';
import type { NonceCommitment as _mpcid_oracle_v1_NonceCommitment, NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output } from './mpcid/oracle/v1/NonceCommitment.js';
import type { OperatorRevocation as _mpcid_oracle_v1_OperatorRevocation, OperatorRevocation__Output as _mpcid_oracle_v1_OperatorRevocation__Output } from './mpcid/oracle/v1/OperatorRevocation.js';
import type { OracleRound1 as _mpcid_oracle_v1_OracleRound1, OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output } from './mpcid/oracle/v1/OracleRound1.js';
import type { PeerClient as _mpcid_oracle_v1_PeerClient, PeerDefinition as _mpcid_oracle_v1_PeerDefinition } from './mpcid/oracle/v1/Peer.js';
import type { PolicyRefusal as _mpcid_oracle_v1_PolicyRefusal, PolicyRefusal__Output as _mpcid_oracle_v1_PolicyRefusal__Output } from './mpcid/oracle/v1/PolicyRefusal.js';
import type { PushRevocationRequest as _mpcid_oracle_v1_PushRevocationRequest, PushRevocationRequest__Output as _mpcid_oracle_v1_PushRevocationRequest__Output } from './mpcid/oracle/v1/PushRevocationRequest.js';
import type { PushRevocationResponse as _mpcid_oracle_v1_PushRevocationResponse, PushRevocationResponse__Output as _mpcid_oracle_v1_PushRevocationResponse__Output } from './mpcid/oracle/v1/PushRevocationResponse.js';
import type { RateLimitedDetails as _mpcid_oracle_v1_RateLimitedDetails, RateLimitedDetails__Output as _mpcid_oracle_v1_RateLimitedDetails__Output } from './mpcid/oracle/v1/RateLimitedDetails.js';
import type { RegisterProof as _mpcid_oracle_v1_RegisterProof, RegisterProof__Output as _mpcid_oracle_v1_RegisterProof__Output } from './mpcid/oracle/v1/RegisterProof.js';
import type { ReplayedRequestDetails as _mpcid_oracle_v1_ReplayedRequestDetails, ReplayedRequestDetails__Output as _mpcid_oracle_v1_ReplayedRequestDetails__Output } from './mpcid/oracle/v1/ReplayedRequestDetails.js';
import type { ReportAbortRequest as _mpcid_oracle_v1_ReportAbortRequest, ReportAbortRequest__Output as _mpcid_oracle_v1_ReportAbortRequest__Output } from './mpcid/oracle/v1/ReportAbortRequest.js';
import type { ReportAbortResponse as _mpcid_oracle_v1_ReportAbortResponse, ReportAbortResponse__Output as _mpcid_oracle_v1_ReportAbortResponse__Output } from './mpcid/oracle/v1/ReportAbortResponse.js';
import type { Revocation as _mpcid_oracle_v1_Revocation, Revocation__Output as _mpcid_oracle_v1_Revocation__Output } from './mpcid/oracle/v1/Revocation.js';
import type { RevokedDetails as _mpcid_oracle_v1_RevokedDetails, RevokedDetails__Output as _mpcid_oracle_v1_RevokedDetails__Output } from './mpcid/oracle/v1/RevokedDetails.js';
import type { Round1Package as _mpcid_oracle_v1_Round1Package, Round1Package__Output as _mpcid_oracle_v1_Round1Package__Output } from './mpcid/oracle/v1/Round1Package.js';
import type { SealedShare as _mpcid_oracle_v1_SealedShare, SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output } from './mpcid/oracle/v1/SealedShare.js';
import type { SignPayload as _mpcid_oracle_v1_SignPayload, SignPayload__Output as _mpcid_oracle_v1_SignPayload__Output } from './mpcid/oracle/v1/SignPayload.js';
import type { SignerClient as _mpcid_oracle_v1_SignerClient, SignerDefinition as _mpcid_oracle_v1_SignerDefinition } from './mpcid/oracle/v1/Signer.js';
import type { StaleStepDetails as _mpcid_oracle_v1_StaleStepDetails, StaleStepDetails__Output as _mpcid_oracle_v1_StaleStepDetails__Output } from './mpcid/oracle/v1/StaleStepDetails.js';
import type { Step as _mpcid_oracle_v1_Step, Step__Output as _mpcid_oracle_v1_Step__Output } from './mpcid/oracle/v1/Step.js';
import type { StepCall as _mpcid_oracle_v1_StepCall, StepCall__Output as _mpcid_oracle_v1_StepCall__Output } from './mpcid/oracle/v1/StepCall.js';
import type { StepError as _mpcid_oracle_v1_StepError, StepError__Output as _mpcid_oracle_v1_StepError__Output } from './mpcid/oracle/v1/StepError.js';
import type { StepRequest as _mpcid_oracle_v1_StepRequest, StepRequest__Output as _mpcid_oracle_v1_StepRequest__Output } from './mpcid/oracle/v1/StepRequest.js';
import type { StepResponse as _mpcid_oracle_v1_StepResponse, StepResponse__Output as _mpcid_oracle_v1_StepResponse__Output } from './mpcid/oracle/v1/StepResponse.js';
import type { StepResult as _mpcid_oracle_v1_StepResult, StepResult__Output as _mpcid_oracle_v1_StepResult__Output } from './mpcid/oracle/v1/StepResult.js';
import type { SuspendedDetails as _mpcid_oracle_v1_SuspendedDetails, SuspendedDetails__Output as _mpcid_oracle_v1_SuspendedDetails__Output } from './mpcid/oracle/v1/SuspendedDetails.js';
import type { UnsealRequest as _mpcid_oracle_v1_UnsealRequest, UnsealRequest__Output as _mpcid_oracle_v1_UnsealRequest__Output } from './mpcid/oracle/v1/UnsealRequest.js';
import type { UnsealResponse as _mpcid_oracle_v1_UnsealResponse, UnsealResponse__Output as _mpcid_oracle_v1_UnsealResponse__Output } from './mpcid/oracle/v1/UnsealResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mpcid: {
    oracle: {
      v1: {
        BeginEnrollmentRequest: MessageTypeDefinition<_mpcid_oracle_v1_BeginEnrollmentRequest, _mpcid_oracle_v1_BeginEnrollmentRequest__Output>
        BeginEnrollmentResponse: MessageTypeDefinition<_mpcid_oracle_v1_BeginEnrollmentResponse, _mpcid_oracle_v1_BeginEnrollmentResponse__Output>
        Bundle: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_BundleClient> & { service: _mpcid_oracle_v1_BundleDefinition }
        Commit: MessageTypeDefinition<_mpcid_oracle_v1_Commit, _mpcid_oracle_v1_Commit__Output>
        EcdsaAbort: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaAbort, _mpcid_oracle_v1_EcdsaAbort__Output>
        EcdsaAbortDetails: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaAbortDetails, _mpcid_oracle_v1_EcdsaAbortDetails__Output>
        EcdsaEnrolled: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaEnrolled, _mpcid_oracle_v1_EcdsaEnrolled__Output>
        EcdsaRoundRequest: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaRoundRequest, _mpcid_oracle_v1_EcdsaRoundRequest__Output>
        EcdsaRoundResponse: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaRoundResponse, _mpcid_oracle_v1_EcdsaRoundResponse__Output>
        EcdsaSetupRequest: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaSetupRequest, _mpcid_oracle_v1_EcdsaSetupRequest__Output>
        EcdsaSetupResponse: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaSetupResponse, _mpcid_oracle_v1_EcdsaSetupResponse__Output>
        EcdsaSignPayload: MessageTypeDefinition<_mpcid_oracle_v1_EcdsaSignPayload, _mpcid_oracle_v1_EcdsaSignPayload__Output>
        Enrolled: MessageTypeDefinition<_mpcid_oracle_v1_Enrolled, _mpcid_oracle_v1_Enrolled__Output>
        Enrollment: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_EnrollmentClient> & { service: _mpcid_oracle_v1_EnrollmentDefinition }
        Envelope: MessageTypeDefinition<_mpcid_oracle_v1_Envelope, _mpcid_oracle_v1_Envelope__Output>
        ErrorDetails: MessageTypeDefinition<_mpcid_oracle_v1_ErrorDetails, _mpcid_oracle_v1_ErrorDetails__Output>
        Evidence: MessageTypeDefinition<_mpcid_oracle_v1_Evidence, _mpcid_oracle_v1_Evidence__Output>
        ExchangeSharesRequest: MessageTypeDefinition<_mpcid_oracle_v1_ExchangeSharesRequest, _mpcid_oracle_v1_ExchangeSharesRequest__Output>
        ExchangeSharesResponse: MessageTypeDefinition<_mpcid_oracle_v1_ExchangeSharesResponse, _mpcid_oracle_v1_ExchangeSharesResponse__Output>
        FinishEnrollmentRequest: MessageTypeDefinition<_mpcid_oracle_v1_FinishEnrollmentRequest, _mpcid_oracle_v1_FinishEnrollmentRequest__Output>
        FinishEnrollmentResponse: MessageTypeDefinition<_mpcid_oracle_v1_FinishEnrollmentResponse, _mpcid_oracle_v1_FinishEnrollmentResponse__Output>
        GetCapabilitiesRequest: MessageTypeDefinition<_mpcid_oracle_v1_GetCapabilitiesRequest, _mpcid_oracle_v1_GetCapabilitiesRequest__Output>
        GetCapabilitiesResponse: MessageTypeDefinition<_mpcid_oracle_v1_GetCapabilitiesResponse, _mpcid_oracle_v1_GetCapabilitiesResponse__Output>
        GetIssuerKeysRequest: MessageTypeDefinition<_mpcid_oracle_v1_GetIssuerKeysRequest, _mpcid_oracle_v1_GetIssuerKeysRequest__Output>
        GetIssuerKeysResponse: MessageTypeDefinition<_mpcid_oracle_v1_GetIssuerKeysResponse, _mpcid_oracle_v1_GetIssuerKeysResponse__Output>
        GetJwtBundleRequest: MessageTypeDefinition<_mpcid_oracle_v1_GetJwtBundleRequest, _mpcid_oracle_v1_GetJwtBundleRequest__Output>
        GetJwtBundleResponse: MessageTypeDefinition<_mpcid_oracle_v1_GetJwtBundleResponse, _mpcid_oracle_v1_GetJwtBundleResponse__Output>
        GetNoncesRequest: MessageTypeDefinition<_mpcid_oracle_v1_GetNoncesRequest, _mpcid_oracle_v1_GetNoncesRequest__Output>
        GetNoncesResponse: MessageTypeDefinition<_mpcid_oracle_v1_GetNoncesResponse, _mpcid_oracle_v1_GetNoncesResponse__Output>
        Issuer: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_IssuerClient> & { service: _mpcid_oracle_v1_IssuerDefinition }
        IssuerAbortDetails: MessageTypeDefinition<_mpcid_oracle_v1_IssuerAbortDetails, _mpcid_oracle_v1_IssuerAbortDetails__Output>
        IssuerKey: MessageTypeDefinition<_mpcid_oracle_v1_IssuerKey, _mpcid_oracle_v1_IssuerKey__Output>
        IssuerKeyConfirmation: MessageTypeDefinition<_mpcid_oracle_v1_IssuerKeyConfirmation, _mpcid_oracle_v1_IssuerKeyConfirmation__Output>
        IssuerPeer: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_IssuerPeerClient> & { service: _mpcid_oracle_v1_IssuerPeerDefinition }
        IssuerRoundRequest: MessageTypeDefinition<_mpcid_oracle_v1_IssuerRoundRequest, _mpcid_oracle_v1_IssuerRoundRequest__Output>
        IssuerRoundResponse: MessageTypeDefinition<_mpcid_oracle_v1_IssuerRoundResponse, _mpcid_oracle_v1_IssuerRoundResponse__Output>
        IssuerSetupRequest: MessageTypeDefinition<_mpcid_oracle_v1_IssuerSetupRequest, _mpcid_oracle_v1_IssuerSetupRequest__Output>
        IssuerSetupResponse: MessageTypeDefinition<_mpcid_oracle_v1_IssuerSetupResponse, _mpcid_oracle_v1_IssuerSetupResponse__Output>
        JwtBundleKey: MessageTypeDefinition<_mpcid_oracle_v1_JwtBundleKey, _mpcid_oracle_v1_JwtBundleKey__Output>
        ListRevocationsRequest: MessageTypeDefinition<_mpcid_oracle_v1_ListRevocationsRequest, _mpcid_oracle_v1_ListRevocationsRequest__Output>
        ListRevocationsResponse: MessageTypeDefinition<_mpcid_oracle_v1_ListRevocationsResponse, _mpcid_oracle_v1_ListRevocationsResponse__Output>
        MeasurePayload: MessageTypeDefinition<_mpcid_oracle_v1_MeasurePayload, _mpcid_oracle_v1_MeasurePayload__Output>
        NonceCommitment: MessageTypeDefinition<_mpcid_oracle_v1_NonceCommitment, _mpcid_oracle_v1_NonceCommitment__Output>
        OperatorRevocation: MessageTypeDefinition<_mpcid_oracle_v1_OperatorRevocation, _mpcid_oracle_v1_OperatorRevocation__Output>
        OracleRound1: MessageTypeDefinition<_mpcid_oracle_v1_OracleRound1, _mpcid_oracle_v1_OracleRound1__Output>
        Peer: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_PeerClient> & { service: _mpcid_oracle_v1_PeerDefinition }
        PolicyRefusal: MessageTypeDefinition<_mpcid_oracle_v1_PolicyRefusal, _mpcid_oracle_v1_PolicyRefusal__Output>
        PushRevocationRequest: MessageTypeDefinition<_mpcid_oracle_v1_PushRevocationRequest, _mpcid_oracle_v1_PushRevocationRequest__Output>
        PushRevocationResponse: MessageTypeDefinition<_mpcid_oracle_v1_PushRevocationResponse, _mpcid_oracle_v1_PushRevocationResponse__Output>
        RateLimitedDetails: MessageTypeDefinition<_mpcid_oracle_v1_RateLimitedDetails, _mpcid_oracle_v1_RateLimitedDetails__Output>
        RegisterProof: MessageTypeDefinition<_mpcid_oracle_v1_RegisterProof, _mpcid_oracle_v1_RegisterProof__Output>
        ReplayedRequestDetails: MessageTypeDefinition<_mpcid_oracle_v1_ReplayedRequestDetails, _mpcid_oracle_v1_ReplayedRequestDetails__Output>
        ReportAbortRequest: MessageTypeDefinition<_mpcid_oracle_v1_ReportAbortRequest, _mpcid_oracle_v1_ReportAbortRequest__Output>
        ReportAbortResponse: MessageTypeDefinition<_mpcid_oracle_v1_ReportAbortResponse, _mpcid_oracle_v1_ReportAbortResponse__Output>
        Revocation: MessageTypeDefinition<_mpcid_oracle_v1_Revocation, _mpcid_oracle_v1_Revocation__Output>
        RevokedDetails: MessageTypeDefinition<_mpcid_oracle_v1_RevokedDetails, _mpcid_oracle_v1_RevokedDetails__Output>
        Round1Package: MessageTypeDefinition<_mpcid_oracle_v1_Round1Package, _mpcid_oracle_v1_Round1Package__Output>
        SealedShare: MessageTypeDefinition<_mpcid_oracle_v1_SealedShare, _mpcid_oracle_v1_SealedShare__Output>
        SignPayload: MessageTypeDefinition<_mpcid_oracle_v1_SignPayload, _mpcid_oracle_v1_SignPayload__Output>
        Signer: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_SignerClient> & { service: _mpcid_oracle_v1_SignerDefinition }
        StaleStepDetails: MessageTypeDefinition<_mpcid_oracle_v1_StaleStepDetails, _mpcid_oracle_v1_StaleStepDetails__Output>
        Step: MessageTypeDefinition<_mpcid_oracle_v1_Step, _mpcid_oracle_v1_Step__Output>
        StepCall: MessageTypeDefinition<_mpcid_oracle_v1_StepCall, _mpcid_oracle_v1_StepCall__Output>
        StepError: MessageTypeDefinition<_mpcid_oracle_v1_StepError, _mpcid_oracle_v1_StepError__Output>
        StepRequest: MessageTypeDefinition<_mpcid_oracle_v1_StepRequest, _mpcid_oracle_v1_StepRequest__Output>
        StepResponse: MessageTypeDefinition<_mpcid_oracle_v1_StepResponse, _mpcid_oracle_v1_StepResponse__Output>
        StepResult: MessageTypeDefinition<_mpcid_oracle_v1_StepResult, _mpcid_oracle_v1_StepResult__Output>
        SuspendedDetails: MessageTypeDefinition<_mpcid_oracle_v1_SuspendedDetails, _mpcid_oracle_v1_SuspendedDetails__Output>
        UnsealRequest: MessageTypeDefinition<_mpcid_oracle_v1_UnsealRequest, _mpcid_oracle_v1_UnsealRequest__Output>
        UnsealResponse: MessageTypeDefinition<_mpcid_oracle_v1_UnsealResponse, _mpcid_oracle_v1_UnsealResponse__Output>
      }
    }
  }
}

