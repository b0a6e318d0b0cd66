/**
 * The mpcid command as a user runs it: `dev up` as a child process (its JSON line, signing through
 * its socket, tokens, identities, a clean SIGINT shutdown that leaves no process behind, reuse of
 * its directory), exit statuses for usage errors and failures, and `config check`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, mpcid } from '../helpers/cluster.js';

const B64U = /^[A-Za-z0-9_-]+$/;

interface DevUp {
  proc: ChildProcess;
  info: { socket: string; stateDir: string; oracles: string[]; admin: string; http: unknown[] };
  stderr: () => string;
}

/** Spawns `mpcid dev up` and resolves with its first stdout line, parsed. */
function startDevUp(dir: string): Promise<DevUp> {
  const proc = spawn(process.execPath, [CLI, 'dev', 'up', '--dir', dir, '--oracles', '3', '--quorum', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dev up printed nothing in 60 s; stderr:\n${err}`)),
      60_000,
    );
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        resolve({ proc, info: JSON.parse(out.slice(0, nl)) as DevUp['info'], stderr: () => err });
      } catch (e) {
        reject(e);
      }
    });
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`dev up exited (${code ?? sig}) before printing; stderr:\n${err}`));
    });
  });
}

/** Resolves with the exit code, or rejects if the process is still running after `ms`. */
function exitWithin(proc: ChildProcess, ms: number): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Live children of `ppid` with their command lines, from /proc (Linux). */
function childrenOf(ppid: number): { pid: number; cmd: string }[] {
  const kids: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after "(comm)": state ppid ...; comm may itself contain spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) kids.push({ pid: Number(e), cmd: cmdline(Number(e)) });
    } catch {
      // The process exited while we looked.
    }
  }
  return kids;
}

/** True iff `pid` is a running process whose command line still mentions `marker` (not a zombie, not reused). */
function alive(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return cmdline(pid).includes(marker);
}

function verifyEd25519(publicKey: Buffer, msg: Buffer, sig: Buffer): boolean {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') },
    format: 'jwk',
  });
  return verify(null, msg, key, sig);
}

/**
 * `mpcid dev up` is plaintext by design (`--tls` is opt-in), also under MPCID_TEST_TLS=1: the admin
 * commands below say `--insecure` explicitly, which overrides the MPCID_TLS_DIR that mTLS test runs
 * set (and dev up itself passes --insecure to its agent's enroll and run under that same environment).
 */
const DEV_PLAINTEXT = ['--insecure'];

describe('mpcid dev up', { tags: ['slow'] }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mpcid-devup-'));
  const msgFile = join(dir, 'message.txt');
  const started: { dev: DevUp; kids: number[] }[] = [];
  let first: { kid: string; publicKey: string } | undefined;

  /** `mpcid sign` through dev up's socket; checks the documented JSON line and the signature. */
  async function signWith(socket: string) {
    const msg = Buffer.from(`signed through dev up at ${Date.now()}\n`);
    writeFileSync(msgFile, msg);
    const r = await mpcid(['sign', '--socket', socket, '--in', msgFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['alg', 'kid', 'publicKey', 'signature']);
    expect(out['alg']).toBe('EdDSA');
    expect(out['kid']).toMatch(/^.+$/);
    expect(out['publicKey']).toMatch(B64U);
    expect(out['signature']).toMatch(B64U);
    const publicKey = Buffer.from(out['publicKey']!, 'base64url');
    const signature = Buffer.from(out['signature']!, 'base64url');
    expect(publicKey.length).toBe(32);
    expect(signature.length).toBe(64);
    expect(verifyEd25519(publicKey, msg, signature)).toBe(true);
    expect(verifyEd25519(publicKey, Buffer.concat([msg, Buffer.from('x')]), signature)).toBe(false);
    return { kid: out['kid']!, publicKey: out['publicKey']! };
  }

  /** Starts dev up on `dir` and records its oracle and agent processes. */
  async function up() {
    const dev = await startDevUp(dir);
    const kids = childrenOf(dev.proc.pid!);
    started.push({ dev, kids: kids.map((k) => k.pid) });
    const cmds = kids.map((k) => k.cmd);
    for (let i = 1; i <= 3; i++) {
      expect(
        cmds.filter((c) => c.includes(`oracle --config ${join(dir, `oracle-${i}`, 'config.json')}`)),
      ).toHaveLength(1);
    }
    expect(cmds.filter((c) => c.includes(`agent run --state ${join(dir, 'agent')}`))).toHaveLength(1);
    expect(kids).toHaveLength(4);
    return { dev, kids: kids.map((k) => k.pid) };
  }

  /** SIGINT: exits 0 within 10 s, and no oracle or agent process outlives it. */
  async function interrupt({ dev, kids }: { dev: DevUp; kids: number[] }) {
    for (const pid of kids) expect(alive(pid, dir)).toBe(true);
    const t0 = Date.now();
    dev.proc.kill('SIGINT');
    const code = await exitWithin(dev.proc, 10_000);
    expect(code, dev.stderr()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(kids.filter((pid) => alive(pid, dir))).toEqual([]);
  }

  afterAll(async () => {
    // Only if a test failed half-way: stop what we started, then remove the directory.
    for (const { dev, kids } of started) {
      if (dev.proc.exitCode === null && dev.proc.signalCode === null) {
        dev.proc.kill('SIGINT');
        await exitWithin(dev.proc, 10_000).catch(() => dev.proc.kill('SIGKILL'));
      }
      for (const pid of kids) if (alive(pid, dir)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its endpoints, signs, makes tokens, lists the identity, and stops cleanly on SIGINT', async () => {
    const run = await up();
    const { info } = run.dev;
    expect(Object.keys(info).sort()).toEqual(['admin', 'http', 'oracles', 'socket', 'stateDir']);
    expect(info.oracles).toHaveLength(3);
    for (const a of info.oracles) expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(new Set(info.oracles).size).toBe(3);
    expect(info.admin).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.oracles).not.toContain(info.admin);
    expect(info.socket).toBe(join(dir, 'agent.sock'));
    expect(info.stateDir).toBe(join(dir, 'agent'));
    expect(Array.isArray(info.http)).toBe(true);

    first = await signWith(info.socket);

    const tok = await mpcid([
      'token',
      'create',
      '--admin',
      info.admin,
      '--name',
      'spiffe://cli.test/tok',
      ...DEV_PLAINTEXT,
    ]);
    expect(tok.code, tok.stderr).toBe(0);
    expect(tok.stdout.endsWith('\n')).toBe(true);
    const lines = tok.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith('mpcid-jt1.')).toBe(true);

    const ids = await mpcid(['identities', 'list', '--admin', info.admin, ...DEV_PLAINTEXT]);
    expect(ids.code, ids.stderr).toBe(0);
    const idLines = ids.stdout.trim().split('\n');
    expect(idLines).toHaveLength(1);
    const id = JSON.parse(idLines[0]!) as Record<string, unknown>;
    expect(id['name']).toBe('spiffe://dev.mpcid.local/workload/demo');
    expect(id['identityId']).toBe(first.kid);
    expect(id['publicKey']).toBe(first.publicKey);
    expect(id['alg']).toBe('EdDSA');

    await interrupt(run);
  });

  it('reuses the cluster in the same --dir: same kid and public key', async () => {
    expect(first).toBeDefined();
    const run = await up();
    const again = await signWith(run.dev.info.socket);
    expect(again).toEqual(first);
    const ids = await mpcid(['identities', 'list', '--admin', run.dev.info.admin, ...DEV_PLAINTEXT]);
    expect(ids.code, ids.stderr).toBe(0);
    expect(ids.stdout.trim().split('\n')).toHaveLength(1);
    await interrupt(run);
  });
});

describe('exit statuses', { tags: ['slow'] }, () => {
  it('no command: exit 2, usage on stderr, nothing on stdout', async () => {
    const r = await mpcid([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mpcid: no command given\n/);
    expect(r.stderr).toContain('usage:');
    expect(r.stderr).toContain('mpcid dev up');
  });

  it('an unknown command: exit 2, usage on stderr', async () => {
    const r = await mpcid(['bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mpcid: unknown command: bogus\n/);
    expect(r.stderr).toContain('usage:');
  });

  it('mpcid --help (and -h, help): exit 0, every command on stdout', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = await mpcid([flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      for (const cmd of [
        'mpcid oracle',
        'mpcid init',
        'mpcid token create',
        'mpcid agent run',
        'mpcid verify',
      ])
        expect(r.stdout).toContain(cmd);
      expect(r.stdout).toContain('[TLS]: --tls DIR');
    }
  });

  it('mpcid CMD --help: exit 0, that command only, aliases named', async () => {
    const r = await mpcid(['token', 'create', '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mpcid token create: /);
    expect(r.stdout).toContain('--admin ADDR --name NAME');
    expect(r.stdout).not.toContain('mpcid agent run');
    const init = await mpcid(['cluster', 'init', '-h']);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/^mpcid init: /);
    expect(init.stdout).toContain('also: mpcid cluster init');
  });

  it('a missing required flag or an unknown flag: exit 2', async () => {
    const a = await mpcid(['token', 'create', '--name', 'x']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--admin is required');
    const b = await mpcid(['sign', '--socket', '/nonexistent.sock', '--in', '-', '--bogus']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('usage:');
  });

  it('an option value may start with a dash (a base64url identity id does, one time in 64)', async () => {
    const id = '-U50jm3WnnJTRqxItGMAHjNR3MGeqXHfcc-vrImlF8E';
    for (const args of [
      ['evidence', 'get', '--admin', '127.0.0.1:1', '--identity', id],
      ['token', 'create', '--admin', '127.0.0.1:1', '--name', '-leading-dash'],
    ]) {
      const r = await mpcid(args);
      // Parsed: it got as far as calling the (absent) oracle.
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toContain('usage:');
      expect(r.stderr).toMatch(/^mpcid: [A-Z_]+: /);
    }
  });

  it('token create with nothing listening: exit 1, one error line on stderr', async () => {
    const r = await mpcid(['token', 'create', '--admin', '127.0.0.1:1', '--name', 'x']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mpcid: [A-Z_]+: token create: /);
    expect(r.stderr).not.toContain('usage:');
  });
});

describe('mpcid config check', { tags: ['slow'] }, () => {
  let dir: string;
  let file: string;
  let raw: Record<string, unknown> & { cluster: Record<string, unknown> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mpcid-configcheck-'));
    const r = await mpcid(['cluster', 'init', '--dir', dir, '--oracles', '3', '--quorum', '2']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { cluster: string; configs: string[] };
    expect(out.configs).toHaveLength(3);
    file = out.configs[0]!;
    raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a variant of the generated config and runs `config check` on it. */
  function check(variant: unknown) {
    const f = join(dir, `variant-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(variant));
    return mpcid(['config', 'check', f]);
  }

  it('accepts a generated config: exit 0', async () => {
    const r = await mpcid(['config', 'check', file]);
    expect(r.code, r.stderr).toBe(0);
    // `mpcid init` serves the relying-party port over HTTPS by default.
    expect(r.stdout).toMatch(/^ok: oracle 1 of cluster \S+ \(n=3, t=2\), mTLS, relying-party HTTPS\n$/);
  });

  it('rejects an invalid one with exit 1, naming the field', async () => {
    const badT = await check({ ...raw, cluster: { ...raw.cluster, t: 1 } });
    expect(badT.code).toBe(1);
    expect(badT.stdout).toBe('');
    expect(badT.stderr).toContain('CONFIG_INVALID');
    expect(badT.stderr).toContain('cluster.t');

    const badListen = await check({ ...raw, listen: 'no-port' });
    expect(badListen.code).toBe(1);
    expect(badListen.stderr).toMatch(/\blisten: expected host:port/);

    const badNode = await check({ ...raw, nodeId: 9 });
    expect(badNode.code).toBe(1);
    expect(badNode.stderr).toContain('nodeId');
  });

  it('a missing file: exit 1; no file: exit 2', async () => {
    const missing = await mpcid(['config', 'check', join(dir, 'absent.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('CONFIG_INVALID');
    const none = await mpcid(['config', 'check']);
    expect(none.code).toBe(2);
  });
});
