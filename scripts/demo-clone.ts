/**
 * `npm run demo:clone`: clone detection end to end, narrated for a security engineer, on a real
 * local cluster (3 oracle processes, quorum 2, each with its own LevelDB; agents run by the CLI),
 * the same shape as `mpcid dev up`:
 *
 *   enroll an identity and start its agent A; sign and verify with node:crypto; watch alerts
 *   (`mpcid alerts watch` and a local Standard Webhooks receiver); copy A's state dir the way
 *   an attacker copies a VM disk and start the copy as agent B; A signs, B signs; the alert
 *   arrives; both copies are refused (IDENTITY_REVOKED) and every oracle reports the identity
 *   revoked; the evidence is exported with `mpcid evidence get` and checked offline with
 *   `mpcid evidence verify`.
 *
 * Usage: node dist/scripts/demo-clone.js [--dir DIR]
 *   DIR keeps the cluster (created if it holds none, reused otherwise, like `mpcid dev up --dir`);
 *   without it a temp dir is used and removed after a successful run.
 * Exit status: 0 when every step went as expected, 1 on any unexpected outcome (e.g. the clone
 * was not detected), 2 on a usage error. Everything started is stopped before exiting.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readState } from '../agent/state.js';
import { type AgentProc, CLI, LocalCluster, mpcid } from '../cli/localcluster.js';
import { call, errorCodeOf } from '../common/grpc.js';
import { newWebhookSecret, sleep, WebhookReceiver } from './bench-lib.js';

const N = 3;
const T = 2;
const NAME = 'spiffe://demo.mpcid.local/ns/payments/sa/api';
const HOOK_PATH = '/mpcid-demo-alerts';
const HOOK_SECRET_ENV = 'MPCID_DEMO_WEBHOOK_SECRET';
const WAIT_MS = 10_000;
const USAGE = 'usage: node dist/scripts/demo-clone.js [--dir DIR]';

class DemoFailure extends Error {}

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (n: number, text: string) => say(`[${n}] ${text}`);
const detail = (text: string) => say(`    ${text}`);
const indent = (text: string, by = '    ') =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new DemoFailure(what);
}

function verifies(msg: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return nodeVerify(null, msg, key, signature);
}

/** Signs through an agent, expecting a signature that node:crypto verifies. */
async function signOk(agent: AgentProc, text: string, publicKey: Uint8Array): Promise<number> {
  const msg = Buffer.from(text);
  const t0 = performance.now();
  const res = await agent.sign(msg, WAIT_MS);
  const ms = performance.now() - t0;
  check(
    verifies(msg, res.signature, publicKey),
    `the signature of "${text}" does not verify with node:crypto`,
  );
  check(
    Buffer.from(res.publicKey).equals(Buffer.from(publicKey)),
    'the agent answered with another public key',
  );
  return ms;
}

/** Signs through an agent, expecting the refusal IDENTITY_REVOKED; returns the error text. */
async function signRefused(agent: AgentProc, text: string, who: string): Promise<string> {
  try {
    await agent.sign(Buffer.from(text), WAIT_MS);
  } catch (e) {
    const code = errorCodeOf(e);
    check(
      code === 'IDENTITY_REVOKED',
      `${who}: expected IDENTITY_REVOKED, got ${code ?? (e as Error).message}`,
    );
    return (e as { details?: string }).details ?? (e as Error).message;
  }
  throw new DemoFailure(`${who} signed "${text}": the clone was NOT detected`);
}

/** `mpcid alerts watch` as a subprocess; calls `onEvent` with each JSON line it prints. */
function watchAlerts(
  admin: string,
  transport: string[],
  onEvent: (e: Record<string, unknown>) => void,
): ChildProcess {
  const p = spawn(process.execPath, [CLI, 'alerts', 'watch', '--admin', admin, ...transport], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: p.stdout! }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>);
    } catch {
      say(`    (alerts watch printed a line that is not JSON: ${line})`);
    }
  });
  p.stderr!.resume();
  return p;
}

async function stopProc(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((res) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), 3_000);
    p.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    p.kill('SIGTERM');
  });
}

/** The pino ALERT line an oracle wrote to its log for this identity (polls until it is there). */
async function alertLogLine(logFile: string, identityId: string): Promise<string | undefined> {
  const until = Date.now() + 3_000;
  while (Date.now() < until) {
    const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : [];
    const line = lines.find((l) => l.includes('"ALERT identity.clone_detected') && l.includes(identityId));
    if (line) return line;
    await sleep(50);
  }
  return undefined;
}

interface Running {
  cluster?: LocalCluster | undefined;
  hooks?: WebhookReceiver | undefined;
  watcher?: ChildProcess | undefined;
}
const running: Running = {};

async function stopAll(): Promise<void> {
  const { cluster, hooks, watcher } = running;
  running.cluster = undefined;
  running.hooks = undefined;
  running.watcher = undefined;
  await stopProc(watcher);
  await cluster?.stop('SIGTERM');
  await hooks?.close();
}

async function main(dirArg: string | undefined): Promise<string> {
  const started = performance.now();
  const since = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
  say('mpcid clone-detection demo: one workload identity, its agent, and an attacker who copies the agent');
  say();

  // Alert webhook: a fresh cluster gets one pointing at a local receiver; the secret goes to the
  // oracles through the environment (secretEnv), never into their config files.
  const secret = newWebhookSecret();
  process.env[HOOK_SECRET_ENV] = secret;
  const dir = dirArg ? resolve(dirArg) : undefined;
  const fresh = !dir || !existsSync(join(dir, 'cluster.json'));
  let hooks: WebhookReceiver | undefined;
  if (fresh) {
    hooks = await WebhookReceiver.start(secret, { path: HOOK_PATH });
    running.hooks = hooks;
  }
  const hookUrl = hooks?.url;
  const cluster = await LocalCluster.create({
    n: N,
    t: T,
    clusterId: 'demo',
    ...(dir ? { dir } : {}),
    ...(hookUrl
      ? {
          oracleConfig: () => ({
            alerts: { webhooks: [{ url: hookUrl, secretEnv: HOOK_SECRET_ENV, timeoutMs: 2000 }] },
          }),
        }
      : {}),
  });
  running.cluster = cluster;
  if (!hooks) {
    // A reused dir: listen where its oracles already send (if a previous demo configured them).
    const hook = cluster.oracles[0]!.config.alerts.webhooks.flatMap((w) =>
      w.kind === 'standard' ? [w] : [],
    ).find((w) => w.secretEnv === HOOK_SECRET_ENV && new URL(w.url).pathname === HOOK_PATH);
    if (hook) {
      try {
        hooks = await WebhookReceiver.start(secret, {
          port: Number(new URL(hook.url).port),
          path: HOOK_PATH,
        });
        running.hooks = hooks;
      } catch (e) {
        say(`(cannot listen on ${hook.url}: ${(e as Error).message}; the demo goes on without the webhook)`);
      }
    }
  }
  let t = performance.now();
  await Promise.all(cluster.oracles.map((o) => o.start()));
  step(
    1,
    `cluster up: ${N} oracle processes, quorum ${T}, each with its own LevelDB (${since(t)}); dir ${cluster.dir}`,
  );
  detail(`oracles ${cluster.oracles.map((o) => o.address).join(', ')}`);
  detail(
    hooks
      ? `alert webhook -> ${hooks.url} (Standard Webhooks + CloudEvents, secret from $${HOOK_SECRET_ENV})`
      : 'no demo webhook in this reused dir (only alerts watch)',
  );

  // Alert watch on oracle 1, started early; it replays the log from cursor 0, so nothing is missed.
  const admin1 = cluster.oracles[0]!.config.adminListen;
  let kid = '';
  let cloneStepAt = 0;
  let alertEvent: Record<string, unknown> | undefined;
  let alertSeen: () => void = () => undefined;
  const alertArrived = new Promise<void>((res) => {
    alertSeen = res;
  });
  running.watcher = watchAlerts(admin1, cluster.adminTransportArgs, (e) => {
    if (!kid || e['identityId'] !== kid || alertEvent) return; // earlier demos' identities
    alertEvent = e;
    say(
      `    >>> ALERT from \`mpcid alerts watch --admin ${admin1}\`, +${since(cloneStepAt)} after the clone's step:`,
    );
    say(indent(JSON.stringify(e, null, 2), '        '));
    alertSeen();
  });

  // 2. Enrollment: a DKG between the agent and every oracle; no machine ever holds the whole key.
  const runDir = mkdtempSync(join(cluster.dir, 'demo-clone-'));
  const originalDir = join(runDir, 'original');
  const cloneDir = join(runDir, 'clone');
  t = performance.now();
  const enrolled = await cluster.enroll(NAME, originalDir);
  kid = enrolled.kid;
  const publicKey = Buffer.from(enrolled.publicKey, 'base64url');
  step(2, `enrolled ${NAME} (${since(t)}): key split between the agent and the ${N} oracles`);
  detail(`kid ${kid}`);
  // No ES256 presigning: its background steps would expose the clone before the demo's own requests.
  const a = await cluster.startAgent(originalDir, join(runDir, 'a.sock'), {
    heartbeatMs: 0,
    es256Presigns: 0,
  });
  detail(`agent A running on ${a.socket} (state ${originalDir})`);

  // 3. Normal work.
  let ms = await signOk(a, 'invoice #1001: pay 120 EUR to ACME', publicKey);
  step(
    3,
    `agent A co-signed "invoice #1001" with ${T} oracles in ${ms.toFixed(0)} ms; node:crypto verifies it`,
  );

  step(
    4,
    `alerts: \`mpcid alerts watch --admin ${admin1}\` is running${hooks ? '; webhook receiver listening' : ''}`,
  );

  // 5. The attack: a copy of the agent's disk, booted elsewhere.
  t = performance.now();
  // The same as `cp -a` of a VM disk taken while A runs.
  cpSync(originalDir, cloneDir, { recursive: true });
  const b = await cluster.startAgent(cloneDir, join(runDir, 'b.sock'), { heartbeatMs: 0, es256Presigns: 0 });
  const bId = await call(b.workload, b.workload.GetIdentity, {}, WAIT_MS);
  check(bId.kid === kid, 'the clone reports another identity');
  step(
    5,
    `attacker copies A's state dir (shares, session key, ratchet) and boots it as agent B (${since(t)})`,
  );
  detail(`agent B on ${b.socket} claims the same identity, kid ${bId.kid}`);
  detail('(heartbeats are off in this demo, so the two signatures below are the only ratchet steps)');

  // 6. The original keeps working: nothing conflicts yet.
  ms = await signOk(a, 'invoice #1002: pay 80 EUR to Globex', publicKey);
  step(
    6,
    `agent A signs "invoice #1002" -> ok (${ms.toFixed(0)} ms), verifies; ratchet step 2 of the identity`,
  );

  // 7. The clone signs: its step 2 conflicts with A's step 2 at the oracles.
  step(7, 'agent B (the clone) signs "invoice #6666: pay 9,000 EUR to Mallory" ...');
  cloneStepAt = performance.now();
  const refusedB = await signRefused(b, 'invoice #6666: pay 9,000 EUR to Mallory', 'agent B (the clone)');
  detail(`refused after ${since(cloneStepAt)}: ${refusedB}`);

  // 8. The alert, as every oracle reports it.
  await Promise.race([
    alertArrived,
    sleep(WAIT_MS).then(() => {
      throw new DemoFailure('no alert from `mpcid alerts watch` within 10 s');
    }),
  ]);
  check(alertEvent!['type'] === 'identity.clone_detected', 'the alert is not identity.clone_detected');
  const detecting = Number(alertEvent!['detectingNode']);
  const logLine = await alertLogLine(cluster.oracles[detecting - 1]!.logFile, kid);
  check(logLine, `oracle ${detecting} wrote no ALERT log line`);
  const msg = String((JSON.parse(logLine) as { msg?: unknown }).msg);
  step(
    8,
    `oracle ${detecting} caught the fork (reason ${alertEvent!['reason']}); its log (pino, level error):`,
  );
  detail(msg);
  if (hooks) {
    const ds = await hooks
      .waitFor(
        (d) => d.event['identityId'] === kid,
        (x) => new Set(x.map((d) => d.event['reportingNode'])).size >= N,
        WAIT_MS,
      )
      .catch((e: unknown) => {
        throw new DemoFailure((e as Error).message);
      });
    check(hooks.rejected.length === 0, `the webhook receiver refused a delivery: ${hooks.rejected[0]}`);
    const ids = new Set(ds.map((d) => d.eventId));
    check(ids.size === 1 && ids.has(String(alertEvent!['id'])), 'webhook events carry another id');
    const last = Math.max(...ds.map((d) => d.at)) - cloneStepAt;
    detail(
      `webhook: ${N}/${N} oracles POSTed it (Standard Webhooks signature and timestamp checked, a CloudEvent, one event id), the last +${last.toFixed(0)} ms`,
    );
  }

  // 9. Revoked on every oracle.
  t = performance.now();
  const statuses: string[] = [];
  for (;;) {
    statuses.length = 0;
    for (const o of cluster.oracles)
      statuses.push((await call(o.admin, o.admin.GetIdentity, { identityId: kid }, WAIT_MS)).status);
    if (statuses.every((s) => s === 'revoked')) break;
    check(performance.now() - t < WAIT_MS, `after 10 s the oracles report [${statuses.join(', ')}]`);
    await sleep(20);
  }
  const revocations = await Promise.all(
    cluster.oracles.map((o) => call(o.admin, o.admin.GetRevocation, { identityId: kid }, WAIT_MS)),
  );
  const digests = new Set(revocations.map((r) => r.digest));
  check(digests.size === 1 && digests.has(String(alertEvent!['id'])), 'the oracles hold different evidence');
  step(
    9,
    `every oracle reports the identity revoked: ${statuses.map((s, i) => `oracle ${i + 1} ${s}`).join(', ')}`,
  );
  detail(
    `each holds the same evidence (digest ${revocations[0]!.digest}); detected by oracle ` +
      `${[...new Set(revocations.map((r) => r.detectedBy))].sort().join(' and ')}, pushed to and re-verified by the others`,
  );

  // 10. Both copies are now refused, the original too: nobody can tell them apart.
  const refusedA = await signRefused(a, 'invoice #1003: pay 50 EUR to Initech', 'agent A');
  const refusedB2 = await signRefused(b, 'invoice #6667: pay 9,000 EUR to Mallory', 'agent B');
  const evidenceOf = (text: string) => /evidence ([A-Za-z0-9_-]{43})/.exec(text)?.[1] ?? '?';
  step(10, 'both copies are now refused, the original too: the cluster cannot tell which copy is genuine');
  detail(`agent A (original) signs "invoice #1003" -> IDENTITY_REVOKED, evidence ${evidenceOf(refusedA)}`);
  detail(`agent B (clone)    signs "invoice #6667" -> IDENTITY_REVOKED, evidence ${evidenceOf(refusedB2)}`);
  detail('recovery is a new enrollment (new key) once the copy is found; the old key stays revoked');

  // 11. Evidence: exported from an oracle that did not detect the fork itself, checked offline.
  const fromIndex = revocations.findIndex((r, i) => r.detectedBy !== i + 1);
  const from = cluster.oracles[Math.max(0, fromIndex)]!;
  const get = await mpcid([
    'evidence',
    'get',
    '--admin',
    from.config.adminListen,
    '--identity',
    kid,
    ...cluster.adminTransportArgs,
  ]);
  check(get.code === 0, `mpcid evidence get failed: ${get.stderr.trim()}`);
  const evidenceFile = join(runDir, 'evidence.json');
  writeFileSync(evidenceFile, get.stdout);
  const doc = JSON.parse(get.stdout) as { steps?: { counter?: number; kind?: string }[] };
  step(
    11,
    `evidence from oracle ${from.id}${fromIndex >= 0 ? ' (one that learned of the fork from a peer)' : ''}: ` +
      `\`mpcid evidence get --admin ${from.config.adminListen} --identity ${kid}\` > ${evidenceFile}`,
  );
  detail(
    `two steps signed by the identity's session key: ${(doc.steps ?? []).map((s) => `counter ${s.counter} (${s.kind})`).join(' vs ')}`,
  );
  const ver = await mpcid(['evidence', 'verify', evidenceFile]);
  const verdict = JSON.parse(ver.stdout || '{}') as { valid?: boolean; reason?: string; digest?: string };
  check(
    ver.code === 0 && verdict.valid === true,
    `mpcid evidence verify: ${ver.stdout.trim()} ${ver.stderr.trim()}`,
  );
  check(verdict.digest === alertEvent!['id'], 'the verified digest is not the alert id');
  detail(`\`mpcid evidence verify ${evidenceFile}\` -> ${ver.stdout.trim()}`);
  // The key in the file is the oracle's word: check against the session key from the agent's own state.
  const sessionKey = Buffer.from(readState(originalDir).sessionPublicKey).toString('base64url');
  const ver2 = await mpcid(['evidence', 'verify', evidenceFile, '--session-key', sessionKey]);
  check(
    ver2.code === 0 && JSON.parse(ver2.stdout).valid === true,
    `verify with the agent's key: ${ver2.stdout}`,
  );
  detail(`with --session-key from the agent's own state.json (not the oracle's word): valid`);
  // And it is not a rubber stamp: one flipped byte in a step signature and it is refused.
  const tampered = JSON.parse(get.stdout) as { steps: { signature: string }[] };
  const sig = Buffer.from(tampered.steps[1]!.signature, 'base64url');
  sig[0]! ^= 1;
  tampered.steps[1]!.signature = sig.toString('base64url');
  const tamperedFile = join(runDir, 'evidence-tampered.json');
  writeFileSync(tamperedFile, JSON.stringify(tampered));
  const ver3 = await mpcid(['evidence', 'verify', tamperedFile]);
  check(ver3.code === 1, `a tampered evidence file was not refused: ${ver3.stdout}`);
  detail(`a copy with one flipped signature bit -> exit 1, ${ver3.stdout.trim()}`);

  say();
  return `clone detected at its first conflicting step, identity revoked on ${N}/${N} oracles, alert delivered, evidence verified offline (${((performance.now() - started) / 1000).toFixed(1)} s)`;
}

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const;
for (const [sig, code] of SIGNALS) {
  process.once(sig, () => {
    say(`\n${sig}: stopping the demo cluster`);
    void stopAll().finally(() => process.exit(code));
  });
}

let dirArg: string | undefined;
try {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    say(USAGE);
    process.exit(0);
  }
  dirArg = values.dir;
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

try {
  const summary = await main(dirArg);
  const dir = running.cluster?.dir;
  await stopAll();
  if (!dirArg && dir) rmSync(dir, { recursive: true, force: true });
  say(`[ok] ${summary}`);
  say(`     stopped every oracle, agent and watcher${dirArg ? `; cluster kept in ${dirArg}` : ''}`);
  process.exit(0);
} catch (e) {
  const dir = running.cluster?.dir;
  say();
  say(
    e instanceof DemoFailure
      ? `[FAIL] ${e.message}`
      : `[FAIL] unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
  );
  await stopAll().catch(() => undefined);
  if (dir) say(`       logs kept in ${join(dir, 'logs')}`);
  process.exit(1);
}
