/**
 * Console access (oracle/console-auth.ts): a login token works once and only within its
 * lifetime, a session only within its own, a forged or missing cookie never; `loopback` admits
 * loopback peers only, and `off` nobody.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConsoleAuth, isLoopback, SESSION_COOKIE } from '../../oracle/console-auth.js';

const config = { access: 'login', loginTtlSeconds: 300, sessionTtlSeconds: 3600 } as const;

function req(cookie?: string, remoteAddress = '10.1.2.3'): IncomingMessage {
  return { headers: cookie ? { cookie } : {}, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('console login', () => {
  it('a login token works once, within its lifetime, and gives a session that expires', () => {
    let now = 1_000_000;
    const auth = new ConsoleAuth(config, () => now);
    const { token, expiresAt } = auth.createLogin();
    expect(expiresAt).toBe(now + 300_000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const s = auth.redeem(token);
    expect(s?.maxAgeSeconds).toBe(3600);
    expect(auth.redeem(token)).toBeUndefined(); // once
    const cookie = `other=1; ${SESSION_COOKIE}=${s!.sessionId}`;
    expect(auth.allowed(req(cookie))).toBe(true);
    // The real id with its last character changed (to another one: 'A' is its last one time in 64).
    const forgedLast = s!.sessionId.endsWith('A') ? 'B' : 'A';
    expect(auth.allowed(req(`${SESSION_COOKIE}=${s!.sessionId.slice(0, -1)}${forgedLast}`))).toBe(false);
    expect(auth.allowed(req())).toBe(false);
    now += 3_600_001;
    expect(auth.allowed(req(cookie))).toBe(false);
    // A token not redeemed in time is refused.
    const late = auth.createLogin();
    now += 300_001;
    expect(auth.redeem(late.token)).toBeUndefined();
    expect(auth.redeem(null)).toBeUndefined();
    expect(auth.redeem('not a token')).toBeUndefined();
  });

  it('keeps at most 64 pending links: the oldest goes first', () => {
    const auth = new ConsoleAuth(config);
    const first = auth.createLogin();
    const rest = Array.from({ length: 64 }, () => auth.createLogin());
    expect(auth.redeem(first.token)).toBeUndefined();
    expect(auth.redeem(rest[0]!.token)).toBeDefined();
  });

  it('the session cookie is HttpOnly, SameSite=Strict, for /console, Secure over HTTPS', () => {
    expect(ConsoleAuth.cookieFor('x', 60, true)).toBe(
      `${SESSION_COOKIE}=x; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict; Secure`,
    );
    expect(ConsoleAuth.cookieFor('x', 60, false)).not.toContain('Secure');
  });

  it('loopback admits loopback peers only, without a login; off admits nobody', () => {
    const loop = new ConsoleAuth({ ...config, access: 'loopback' });
    for (const a of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(a), a).toBe(true);
      expect(loop.allowed(req(undefined, a)), a).toBe(true);
    }
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', '::2', '']) {
      expect(loop.allowed(req(undefined, a)), a).toBe(false);
    }
    const off = new ConsoleAuth({ ...config, access: 'off' });
    expect(off.allowed(req(undefined, '127.0.0.1'))).toBe(false);
    const login = new ConsoleAuth(config);
    expect(login.allowed(req(undefined, '127.0.0.1'))).toBe(false); // loopback alone is not a login
  });
});
