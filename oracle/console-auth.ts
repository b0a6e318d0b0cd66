/**
 * Who may see the console (oracle/console.ts). Identity names are inventory a thief wants, so it
 * is never open by default (`console.access`):
 *
 * - `login` (default): an operator with the admin role asks for a link (`mpcid console login`,
 *   admin `CreateConsoleLogin`). The link carries a random 256-bit token that works once, within
 *   `loginTtlSeconds`; redeeming it sets a session cookie (HttpOnly, SameSite=Strict, Path=/console,
 *   Secure over HTTPS) valid for `sessionTtlSeconds`. Tokens and sessions live in this process's
 *   memory only (as SHA-256 digests): a restart logs everyone out, and a link works on the oracle
 *   that made it.
 * - `loopback`: no login, but only for clients that connect from a loopback address (put no
 *   proxy on the same host in front of it).
 * - `off`: no console.
 *
 * Tokens and session ids are secrets: never logged, never in an error message.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleConfig } from '../common/config.js';

export const SESSION_COOKIE = 'mpcid_console';
/** Pending login links and open sessions kept at once; the oldest goes first beyond these. */
const MAX_LOGINS = 64;
const MAX_SESSIONS = 256;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const digest = (s: string) => createHash('sha256').update(s).digest('base64url');

/** True for a peer address on the loopback network (127.0.0.0/8, ::1, IPv4-mapped 127.x). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** The value of one cookie in a Cookie header. */
function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Inserts into a bounded map: past `max` entries the oldest (first inserted) is dropped. */
function put(m: Map<string, number>, k: string, v: number, max: number): void {
  m.set(k, v);
  while (m.size > max) m.delete(m.keys().next().value as string);
}

export class ConsoleAuth {
  readonly config: ConsoleConfig;
  readonly #now: () => number;
  /** sha256(token) → expiry (ms). */
  readonly #logins = new Map<string, number>();
  /** sha256(session id) → expiry (ms). */
  readonly #sessions = new Map<string, number>();

  constructor(config: ConsoleConfig, now: () => number = Date.now) {
    this.config = config;
    this.#now = now;
  }

  /** A one-time login token (SECRET) and when it expires. */
  createLogin(): { token: string; expiresAt: number } {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.#now() + this.config.loginTtlSeconds * 1000;
    put(this.#logins, digest(token), expiresAt, MAX_LOGINS);
    return { token, expiresAt };
  }

  /** Redeems a login token (once): a new session id (SECRET) and its lifetime, or undefined. */
  redeem(token: string | null): { sessionId: string; maxAgeSeconds: number } | undefined {
    if (!token || !TOKEN.test(token)) return undefined;
    const key = digest(token);
    const exp = this.#logins.get(key);
    this.#logins.delete(key);
    if (exp === undefined || exp < this.#now()) return undefined;
    const sessionId = randomBytes(32).toString('base64url');
    put(this.#sessions, digest(sessionId), this.#now() + this.config.sessionTtlSeconds * 1000, MAX_SESSIONS);
    return { sessionId, maxAgeSeconds: this.config.sessionTtlSeconds };
  }

  /** Whether this request may see the console. */
  allowed(req: IncomingMessage): boolean {
    if (this.config.access === 'off') return false;
    if (this.config.access === 'loopback') return isLoopback(req.socket.remoteAddress);
    const sid = cookie(req.headers.cookie, SESSION_COOKIE);
    if (!sid || !TOKEN.test(sid)) return false;
    const key = digest(sid);
    const exp = this.#sessions.get(key);
    if (exp === undefined) return false;
    if (exp < this.#now()) {
      this.#sessions.delete(key);
      return false;
    }
    return true;
  }

  /** The Set-Cookie header of a new session. */
  static cookieFor(sessionId: string, maxAgeSeconds: number, secure: boolean): string {
    return `${SESSION_COOKIE}=${sessionId}; Path=/console; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}
