/**
 * Every mpcid command, in the order `mpcid --help` lists them: the words that name it (the first
 * is listed, the others are aliases) and its module, loaded only when the command runs or help is
 * asked for, so that `mpcid sign` does not load the oracle, the console or the DKG. The names here
 * must be the module's own `names` (test/unit/cli-registry.test.ts checks every entry).
 */

import type { Command } from '../command.js';

/** One entry of the registry. */
export interface CommandEntry {
  readonly names: readonly string[];
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { names: ['oracle'], load: async () => (await import('./oracle.js')).oracle },
  { names: ['init', 'cluster init'], load: async () => (await import('./init.js')).init },
  { names: ['cert issue'], load: async () => (await import('./cert-issue.js')).certIssue },
  { names: ['config check'], load: async () => (await import('./config-check.js')).configCheck },
  { names: ['token create'], load: async () => (await import('./token-create.js')).tokenCreate },
  { names: ['identities list'], load: async () => (await import('./identities-list.js')).identitiesList },
  { names: ['identity revoke'], load: async () => (await import('./identity-revoke.js')).identityRevoke },
  { names: ['audit'], load: async () => (await import('./audit.js')).audit },
  { names: ['issuer rotate'], load: async () => (await import('./issuer-rotate.js')).issuerRotate },
  { names: ['agent enroll'], load: async () => (await import('./agent-enroll.js')).agentEnroll },
  { names: ['agent run'], load: async () => (await import('./agent-run.js')).agentRun },
  { names: ['token fetch'], load: async () => (await import('./token-fetch.js')).tokenFetch },
  { names: ['attest'], load: async () => (await import('./attest.js')).attest },
  { names: ['verify'], load: async () => (await import('./verify.js')).verify },
  { names: ['sign'], load: async () => (await import('./sign.js')).sign },
  { names: ['seal'], load: async () => (await import('./seal.js')).seal },
  { names: ['measure'], load: async () => (await import('./measure.js')).measure },
  { names: ['registers'], load: async () => (await import('./registers.js')).registers },
  { names: ['unseal'], load: async () => (await import('./unseal.js')).unseal },
  { names: ['alerts watch'], load: async () => (await import('./alerts-watch.js')).alertsWatch },
  { names: ['alerts dead'], load: async () => (await import('./alerts-dead.js')).alertsDead },
  { names: ['console login'], load: async () => (await import('./console-login.js')).consoleLoginCommand },
  { names: ['evidence get'], load: async () => (await import('./evidence-get.js')).evidenceGet },
  { names: ['evidence verify'], load: async () => (await import('./evidence-verify.js')).evidenceVerify },
  { names: ['dev up'], load: async () => (await import('./dev-up.js')).devUpCommand },
];

/** Every command, loaded (for the full usage). */
export function loadAll(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}
