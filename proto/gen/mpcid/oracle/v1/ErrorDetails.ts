// Original file: mpcid/oracle/v1/oracle.proto

import type { RevokedDetails as _mpcid_oracle_v1_RevokedDetails, RevokedDetails__Output as _mpcid_oracle_v1_RevokedDetails__Output } from '../../../mpcid/oracle/v1/RevokedDetails.js';
import type { SuspendedDetails as _mpcid_oracle_v1_SuspendedDetails, SuspendedDetails__Output as _mpcid_oracle_v1_SuspendedDetails__Output } from '../../../mpcid/oracle/v1/SuspendedDetails.js';
import type { StaleStepDetails as _mpcid_oracle_v1_StaleStepDetails, StaleStepDetails__Output as _mpcid_oracle_v1_StaleStepDetails__Output } from '../../../mpcid/oracle/v1/StaleStepDetails.js';
import type { RateLimitedDetails as _mpcid_oracle_v1_RateLimitedDetails, RateLimitedDetails__Output as _mpcid_oracle_v1_RateLimitedDetails__Output } from '../../../mpcid/oracle/v1/RateLimitedDetails.js';
import type { ReplayedRequestDetails as _mpcid_oracle_v1_ReplayedRequestDetails, ReplayedRequestDetails__Output as _mpcid_oracle_v1_ReplayedRequestDetails__Output } from '../../../mpcid/oracle/v1/ReplayedRequestDetails.js';
import type { EcdsaAbortDetails as _mpcid_oracle_v1_EcdsaAbortDetails, EcdsaAbortDetails__Output as _mpcid_oracle_v1_EcdsaAbortDetails__Output } from '../../../mpcid/oracle/v1/EcdsaAbortDetails.js';
import type { IssuerAbortDetails as _mpcid_oracle_v1_IssuerAbortDetails, IssuerAbortDetails__Output as _mpcid_oracle_v1_IssuerAbortDetails__Output } from '../../../mpcid/oracle/v1/IssuerAbortDetails.js';

export interface ErrorDetails {
  'revoked'?: (_mpcid_oracle_v1_RevokedDetails | null);
  'suspended'?: (_mpcid_oracle_v1_SuspendedDetails | null);
  'staleStep'?: (_mpcid_oracle_v1_StaleStepDetails | null);
  'rateLimited'?: (_mpcid_oracle_v1_RateLimitedDetails | null);
  'replayedRequest'?: (_mpcid_oracle_v1_ReplayedRequestDetails | null);
  'ecdsaAbort'?: (_mpcid_oracle_v1_EcdsaAbortDetails | null);
  'issuerAbort'?: (_mpcid_oracle_v1_IssuerAbortDetails | null);
  'details'?: "revoked"|"suspended"|"staleStep"|"rateLimited"|"replayedRequest"|"ecdsaAbort"|"issuerAbort";
}

export interface ErrorDetails__Output {
  'revoked'?: (_mpcid_oracle_v1_RevokedDetails__Output | null);
  'suspended'?: (_mpcid_oracle_v1_SuspendedDetails__Output | null);
  'staleStep'?: (_mpcid_oracle_v1_StaleStepDetails__Output | null);
  'rateLimited'?: (_mpcid_oracle_v1_RateLimitedDetails__Output | null);
  'replayedRequest'?: (_mpcid_oracle_v1_ReplayedRequestDetails__Output | null);
  'ecdsaAbort'?: (_mpcid_oracle_v1_EcdsaAbortDetails__Output | null);
  'issuerAbort'?: (_mpcid_oracle_v1_IssuerAbortDetails__Output | null);
  'details'?: "revoked"|"suspended"|"staleStep"|"rateLimited"|"replayedRequest"|"ecdsaAbort"|"issuerAbort";
}
