/** Every mpcid command, in the order `mpcid --help` lists them. */

import type { Command } from '../command.js';
import { agentEnroll } from './agent-enroll.js';
import { agentRun } from './agent-run.js';
import { alertsDead } from './alerts-dead.js';
import { alertsWatch } from './alerts-watch.js';
import { attest } from './attest.js';
import { audit } from './audit.js';
import { certIssue } from './cert-issue.js';
import { configCheck } from './config-check.js';
import { consoleLoginCommand } from './console-login.js';
import { devUpCommand } from './dev-up.js';
import { evidenceGet } from './evidence-get.js';
import { evidenceVerify } from './evidence-verify.js';
import { identitiesList } from './identities-list.js';
import { identityRevoke } from './identity-revoke.js';
import { init } from './init.js';
import { issuerRotate } from './issuer-rotate.js';
import { measure } from './measure.js';
import { oracle } from './oracle.js';
import { registers } from './registers.js';
import { seal } from './seal.js';
import { sign } from './sign.js';
import { tokenCreate } from './token-create.js';
import { tokenFetch } from './token-fetch.js';
import { unseal } from './unseal.js';
import { verify } from './verify.js';

export const COMMANDS: readonly Command[] = [
  oracle,
  init,
  certIssue,
  configCheck,
  tokenCreate,
  identitiesList,
  identityRevoke,
  audit,
  issuerRotate,
  agentEnroll,
  agentRun,
  tokenFetch,
  attest,
  verify,
  sign,
  seal,
  measure,
  registers,
  unseal,
  alertsWatch,
  alertsDead,
  consoleLoginCommand,
  evidenceGet,
  evidenceVerify,
  devUpCommand,
];
