/**
 * End-of-run checks, with every process stopped:
 *  - certified steps: each honest agent's certified counter is held by at least t oracles, and
 *    no oracle is below its own commit in the agent's certificate;
 *  - crashes: oracle or agent exits the trial did not cause, and uncaught exceptions or fatal
 *    lines in any log;
 *  - secrets: every secret collected from where it lives (agent state.json shares, session keys
 *    and ES256 pair states; each oracle's identity records opened with its KEK; KEK files; the
 *    webhook secret; every token issued) searched for in every log, in every encoding of
 *    test/helpers/leaks.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OracleProc } from '../../cli/localcluster.js';
import { loadKek } from '../../common/kek.js';
import { OracleStore } from '../../oracle/store.js';
import { findLeaks, type Haystack, type SecretItem } from '../../test/helpers/leaks.js';
import type { Ledger } from './ledger.js';
import { readAgentRatchet } from './procs.js';
import { T, type World } from './world.js';

export interface Audit {
  crashes: string[];
  leaks: string[];
  secretsSearched: number;
  logsSearched: number;
}

export async function checkQuorumHolds(
  w: World,
  agents: readonly { identityId: string; stateDir: string; label: string }[],
  ledger: Ledger,
  seed: number,
): Promise<void> {
  const held = new Map<number, Map<string, number>>();
  for (const o of w.oracles) {
    held.set(o.id, await ledger.checkOracle(o, agents, seed, 'at the end'));
  }
  for (const a of agents) {
    const r = readAgentRatchet(a.stateDir);
    if (!r) continue;
    const holding = w.oracles.filter((o) => (held.get(o.id)!.get(a.identityId) ?? 0) >= r.counter).length;
    if (holding < T) {
      const what = `${a.label}: certified counter ${r.counter} held by ${holding} oracle(s), fewer than t=${T}`;
      ledger.lost.push(what);
      ledger.fail('soak', seed, what);
    }
  }
}

const b64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

function secret(label: string, bytes: Uint8Array): SecretItem {
  // Fragments of the large DKLs23 pair states would make the search quadratic: whole matches only.
  return { label, bytes, binaryFragments: bytes.length <= 64 };
}

function agentSecrets(stateDir: string): SecretItem[] {
  const s = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
    shares: { signingShare: string }[];
    sessionKey: string;
    es256?: { shares: { signingShare: string }[]; pairs: { channelKey: string; state: string }[] };
  };
  const out = [secret(`${stateDir} sessionKey`, b64u(s.sessionKey))];
  for (const x of s.shares) out.push(secret(`${stateDir} share`, b64u(x.signingShare)));
  for (const x of s.es256?.shares ?? []) out.push(secret(`${stateDir} es256 share`, b64u(x.signingShare)));
  for (const p of s.es256?.pairs ?? []) {
    out.push(secret(`${stateDir} channelKey`, b64u(p.channelKey)));
    out.push(secret(`${stateDir} pair state`, b64u(p.state)));
  }
  return out;
}

async function oracleSecrets(o: OracleProc): Promise<SecretItem[]> {
  const me = o.config.cluster.oracles.find((x) => x.id === o.id)!;
  const store = await OracleStore.open(
    o.config.dataDir,
    { clusterId: o.config.cluster.id, nodeId: o.id, nodePublicKey: me.publicKey },
    loadKek(o.config, {}),
  );
  const out: SecretItem[] = [];
  try {
    for (const p of await store.listIdentities('', 10_000)) {
      const r = await store.getIdentity(p.identityId);
      if (!r) continue;
      out.push(secret(`oracle ${o.id} share`, b64u(r.signingShare)));
      if (r.ecdsaSecrets) {
        out.push(secret(`oracle ${o.id} es256 share`, b64u(r.ecdsaSecrets.signingShare)));
        for (const x of r.ecdsaSecrets.pairs) {
          out.push(secret(`oracle ${o.id} channelKey`, b64u(x.channelKey)));
          out.push(secret(`oracle ${o.id} pair state`, b64u(x.state)));
        }
      }
    }
  } finally {
    await store.close();
  }
  if (o.config.kek?.file) {
    const text = readFileSync(o.config.kek.file, 'utf8').trim();
    out.push({ label: `oracle ${o.id} KEK file`, bytes: Buffer.from(text), text });
  }
  return out;
}

function logs(w: World): Haystack[] {
  const dir = join(w.cluster.dir, 'logs');
  return readdirSync(dir).map((f) => ({ source: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}

/** Oracle and agent exits the trial did not cause, and uncaught-exception or fatal log lines. */
function crashes(w: World, haystacks: readonly Haystack[]): string[] {
  const out: string[] = [];
  for (const e of w.oracleExits)
    if (!e.expected) out.push(`oracle ${e.oracle} exited (code ${e.code}, signal ${e.signal})`);
  for (const a of w.agents)
    for (const e of a.exits)
      if (!e.expected) out.push(`${a.logFile}: agent exited (code ${e.code}, signal ${e.signal})`);
  const bad = /uncaught|unhandled ?rejection|"level":60|FATAL ERROR|Segmentation fault/i;
  for (const h of haystacks) {
    const line = h.text.split('\n').find((l) => bad.test(l));
    if (line) out.push(`${h.source}: ${line.slice(0, 200)}`);
  }
  return out;
}

/** Length of the signature piece of a token searched for (a token is a bearer secret). */
const TOKEN_GRAM = 24;

/**
 * Issued tokens in logs: any TOKEN_GRAM-character piece of a token's signature (base64url) in any
 * base64url run of a log. One pass over the logs, however many tokens (findLeaks per token would
 * be quadratic).
 */
function tokenLeaks(tokens: readonly string[], haystacks: readonly Haystack[]): string[] {
  const grams = new Set<string>();
  for (const t of tokens) {
    const sig = t.split('.')[2] ?? '';
    for (let i = 0; i + TOKEN_GRAM <= sig.length; i++) grams.add(sig.slice(i, i + TOKEN_GRAM));
  }
  const out: string[] = [];
  for (const h of haystacks)
    for (const m of h.text.matchAll(new RegExp(`[A-Za-z0-9_-]{${TOKEN_GRAM},}`, 'g')))
      for (let i = 0; i + TOKEN_GRAM <= m[0].length; i++)
        if (grams.has(m[0].slice(i, i + TOKEN_GRAM))) {
          out.push(`issued token in ${h.source} at ${m.index + i}`);
          break;
        }
  return out;
}

export async function audit(
  w: World,
  stateDirs: readonly string[],
  tokens: readonly string[],
): Promise<Audit> {
  const secrets: SecretItem[] = [];
  for (const d of stateDirs) {
    try {
      secrets.push(...agentSecrets(d));
    } catch {
      // A state dir a trial corrupted and never restored (none should be left): nothing to read.
    }
  }
  for (const o of w.oracles) secrets.push(...(await oracleSecrets(o)));
  secrets.push({
    label: 'webhook secret',
    bytes: Buffer.from(w.webhookSecret),
    text: w.webhookSecret,
    textFragments: true,
  });
  const haystacks = logs(w);
  const found = findLeaks(secrets, haystacks);
  return {
    crashes: crashes(w, haystacks),
    leaks: [
      ...found.map((f) => `${f.secret} as ${f.encoding} in ${f.source}: ${f.context}`),
      ...tokenLeaks(tokens, haystacks),
    ],
    secretsSearched: secrets.length + tokens.length,
    logsSearched: haystacks.length,
  };
}
