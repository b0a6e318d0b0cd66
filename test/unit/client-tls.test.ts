/**
 * common/tls.ts resolveClientTls: how a CLI client command picks its transport. `--tls DIR`, then
 * the state dir's bundle, then `--insecure`, then $MPCID_TLS_DIR, then MPCID_INSECURE=1; else
 * CONFIG_INVALID. `--insecure` with an explicit bundle is a contradiction; with $MPCID_TLS_DIR the
 * flag wins (it used to be refused, so `mpcid dev up`, plaintext, failed wherever MPCID_TLS_DIR was set).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MpcidError } from '../../common/errors.js';
import { createCa, issueBundle, resolveClientTls } from '../../common/tls.js';

describe('resolveClientTls', () => {
  let flag: string;
  let state: string;
  let env: string;

  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'mpcid-client-tls-'));
    createCa(join(root, 'ca'), 'unit');
    const bundle = (name: string) => {
      const dir = join(root, name);
      issueBundle(join(root, 'ca'), dir, { name, roles: ['admin'] });
      return dir;
    };
    flag = bundle('flag');
    state = bundle('state');
    env = bundle('env');
  });

  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof MpcidError ? e.code : String(e);
    }
    return 'ok';
  };

  it('--tls, then the state bundle, then $MPCID_TLS_DIR', () => {
    const e = { MPCID_TLS_DIR: env };
    expect(resolveClientTls({ tlsDir: flag, stateBundle: state }, e)).toMatchObject({ dir: flag });
    expect(resolveClientTls({ stateBundle: state }, e)).toMatchObject({ dir: state });
    const fromEnv = resolveClientTls({}, e);
    expect(fromEnv.dir).toBe(env);
    expect(fromEnv.tls?.name).toBe('env');
  });

  it('--insecure is plaintext, also when $MPCID_TLS_DIR is set (the flag overrides the environment)', () => {
    expect(resolveClientTls({ insecure: true }, {})).toEqual({ tls: null, dir: null });
    expect(resolveClientTls({ insecure: true }, { MPCID_TLS_DIR: env })).toEqual({ tls: null, dir: null });
  });

  it('--insecure with --tls or a state bundle is CONFIG_INVALID', () => {
    expect(code(() => resolveClientTls({ tlsDir: flag, insecure: true }, {}))).toBe('CONFIG_INVALID');
    expect(code(() => resolveClientTls({ stateBundle: state, insecure: true }, {}))).toBe('CONFIG_INVALID');
  });

  it('MPCID_INSECURE=1 is plaintext only without any bundle; nothing at all is CONFIG_INVALID', () => {
    expect(resolveClientTls({}, { MPCID_INSECURE: '1' })).toEqual({ tls: null, dir: null });
    expect(resolveClientTls({}, { MPCID_INSECURE: '1', MPCID_TLS_DIR: env }).dir).toBe(env);
    expect(code(() => resolveClientTls({}, {}))).toBe('CONFIG_INVALID');
  });
});
