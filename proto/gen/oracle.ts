import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  BeginEnrollmentRequest as _mpcid_oracle_v1_BeginEnrollmentRequest,
  BeginEnrollmentRequest__Output as _mpcid_oracle_v1_BeginEnrollmentRequest__Output,
} from './mpcid/oracle/v1/BeginEnrollmentRequest.js';
import type {
  BeginEnrollmentResponse as _mpcid_oracle_v1_BeginEnrollmentResponse,
  BeginEnrollmentResponse__Output as _mpcid_oracle_v1_BeginEnrollmentResponse__Output,
} from './mpcid/oracle/v1/BeginEnrollmentResponse.js';
import type {
  Enrolled as _mpcid_oracle_v1_Enrolled,
  Enrolled__Output as _mpcid_oracle_v1_Enrolled__Output,
} from './mpcid/oracle/v1/Enrolled.js';
import type {
  EnrollmentClient as _mpcid_oracle_v1_EnrollmentClient,
  EnrollmentDefinition as _mpcid_oracle_v1_EnrollmentDefinition,
} from './mpcid/oracle/v1/Enrollment.js';
import type {
  ExchangeSharesRequest as _mpcid_oracle_v1_ExchangeSharesRequest,
  ExchangeSharesRequest__Output as _mpcid_oracle_v1_ExchangeSharesRequest__Output,
} from './mpcid/oracle/v1/ExchangeSharesRequest.js';
import type {
  ExchangeSharesResponse as _mpcid_oracle_v1_ExchangeSharesResponse,
  ExchangeSharesResponse__Output as _mpcid_oracle_v1_ExchangeSharesResponse__Output,
} from './mpcid/oracle/v1/ExchangeSharesResponse.js';
import type {
  FinishEnrollmentRequest as _mpcid_oracle_v1_FinishEnrollmentRequest,
  FinishEnrollmentRequest__Output as _mpcid_oracle_v1_FinishEnrollmentRequest__Output,
} from './mpcid/oracle/v1/FinishEnrollmentRequest.js';
import type {
  FinishEnrollmentResponse as _mpcid_oracle_v1_FinishEnrollmentResponse,
  FinishEnrollmentResponse__Output as _mpcid_oracle_v1_FinishEnrollmentResponse__Output,
} from './mpcid/oracle/v1/FinishEnrollmentResponse.js';
import type {
  GetNoncesRequest as _mpcid_oracle_v1_GetNoncesRequest,
  GetNoncesRequest__Output as _mpcid_oracle_v1_GetNoncesRequest__Output,
} from './mpcid/oracle/v1/GetNoncesRequest.js';
import type {
  GetNoncesResponse as _mpcid_oracle_v1_GetNoncesResponse,
  GetNoncesResponse__Output as _mpcid_oracle_v1_GetNoncesResponse__Output,
} from './mpcid/oracle/v1/GetNoncesResponse.js';
import type {
  NonceCommitment as _mpcid_oracle_v1_NonceCommitment,
  NonceCommitment__Output as _mpcid_oracle_v1_NonceCommitment__Output,
} from './mpcid/oracle/v1/NonceCommitment.js';
import type {
  OracleRound1 as _mpcid_oracle_v1_OracleRound1,
  OracleRound1__Output as _mpcid_oracle_v1_OracleRound1__Output,
} from './mpcid/oracle/v1/OracleRound1.js';
import type {
  Round1Package as _mpcid_oracle_v1_Round1Package,
  Round1Package__Output as _mpcid_oracle_v1_Round1Package__Output,
} from './mpcid/oracle/v1/Round1Package.js';
import type {
  SealedShare as _mpcid_oracle_v1_SealedShare,
  SealedShare__Output as _mpcid_oracle_v1_SealedShare__Output,
} from './mpcid/oracle/v1/SealedShare.js';
import type {
  SignRequest as _mpcid_oracle_v1_SignRequest,
  SignRequest__Output as _mpcid_oracle_v1_SignRequest__Output,
} from './mpcid/oracle/v1/SignRequest.js';
import type {
  SignResponse as _mpcid_oracle_v1_SignResponse,
  SignResponse__Output as _mpcid_oracle_v1_SignResponse__Output,
} from './mpcid/oracle/v1/SignResponse.js';
import type {
  SignerClient as _mpcid_oracle_v1_SignerClient,
  SignerDefinition as _mpcid_oracle_v1_SignerDefinition,
} from './mpcid/oracle/v1/Signer.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mpcid: {
    oracle: {
      v1: {
        BeginEnrollmentRequest: MessageTypeDefinition<
          _mpcid_oracle_v1_BeginEnrollmentRequest,
          _mpcid_oracle_v1_BeginEnrollmentRequest__Output
        >;
        BeginEnrollmentResponse: MessageTypeDefinition<
          _mpcid_oracle_v1_BeginEnrollmentResponse,
          _mpcid_oracle_v1_BeginEnrollmentResponse__Output
        >;
        Enrolled: MessageTypeDefinition<_mpcid_oracle_v1_Enrolled, _mpcid_oracle_v1_Enrolled__Output>;
        Enrollment: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_EnrollmentClient> & {
          service: _mpcid_oracle_v1_EnrollmentDefinition;
        };
        ExchangeSharesRequest: MessageTypeDefinition<
          _mpcid_oracle_v1_ExchangeSharesRequest,
          _mpcid_oracle_v1_ExchangeSharesRequest__Output
        >;
        ExchangeSharesResponse: MessageTypeDefinition<
          _mpcid_oracle_v1_ExchangeSharesResponse,
          _mpcid_oracle_v1_ExchangeSharesResponse__Output
        >;
        FinishEnrollmentRequest: MessageTypeDefinition<
          _mpcid_oracle_v1_FinishEnrollmentRequest,
          _mpcid_oracle_v1_FinishEnrollmentRequest__Output
        >;
        FinishEnrollmentResponse: MessageTypeDefinition<
          _mpcid_oracle_v1_FinishEnrollmentResponse,
          _mpcid_oracle_v1_FinishEnrollmentResponse__Output
        >;
        GetNoncesRequest: MessageTypeDefinition<
          _mpcid_oracle_v1_GetNoncesRequest,
          _mpcid_oracle_v1_GetNoncesRequest__Output
        >;
        GetNoncesResponse: MessageTypeDefinition<
          _mpcid_oracle_v1_GetNoncesResponse,
          _mpcid_oracle_v1_GetNoncesResponse__Output
        >;
        NonceCommitment: MessageTypeDefinition<
          _mpcid_oracle_v1_NonceCommitment,
          _mpcid_oracle_v1_NonceCommitment__Output
        >;
        OracleRound1: MessageTypeDefinition<
          _mpcid_oracle_v1_OracleRound1,
          _mpcid_oracle_v1_OracleRound1__Output
        >;
        Round1Package: MessageTypeDefinition<
          _mpcid_oracle_v1_Round1Package,
          _mpcid_oracle_v1_Round1Package__Output
        >;
        SealedShare: MessageTypeDefinition<
          _mpcid_oracle_v1_SealedShare,
          _mpcid_oracle_v1_SealedShare__Output
        >;
        SignRequest: MessageTypeDefinition<
          _mpcid_oracle_v1_SignRequest,
          _mpcid_oracle_v1_SignRequest__Output
        >;
        SignResponse: MessageTypeDefinition<
          _mpcid_oracle_v1_SignResponse,
          _mpcid_oracle_v1_SignResponse__Output
        >;
        Signer: SubtypeConstructor<typeof grpc.Client, _mpcid_oracle_v1_SignerClient> & {
          service: _mpcid_oracle_v1_SignerDefinition;
        };
      };
    };
  };
}
