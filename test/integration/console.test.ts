/**
 * The console (oracle/console.ts) in a real headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core), against a real 2-of-3 cluster: without a login every console path gives the
 * login page and nothing else; a link from `mpcid console login` logs in once; the page shows
 * the identity; a copy of the agent's state dir run beside the original is caught, and the
 * revocation arrives in the open page live (server-sent events, no reload); the evidence page
 * draws the two histories forking. Screenshots go to test-artifacts/console/ (gitignored). An
 * oracle with `console.access: loopback` serves it to loopback peers without a login, one with
 * `off` serves none, and neither makes login links.
 *
 * Slow suite (tag `slow`): about 30 s.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProc, EDDSA_ONLY, mpcid, startCluster, type TestCluster } from '../helpers/cluster.js';
import { removeClusterDir } from '../helpers/ratchet.js';
import { copyStateDir } from '../helpers/statedir.js';

const CHROMIUM = process.env['MPCID_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');
const NAME = 'spiffe://test.mpcid/ns/prod/sa/payments';

describe('console in a real browser (2-of-3 cluster, headless Chromium)', { tags: ['slow'] }, () => {
  let cluster: TestCluster;
  let browser: Browser;
  let base: string;
  let kid: string;
  let stateDir: string;
  let original: AgentProc;
  let failed = false;
  /** Login tokens and session ids of this run: secrets that no log may hold. */
  const secrets: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} not found: apt-get install -y chromium (.ci/run does), or set MPCID_CHROMIUM`,
      );
    mkdirSync(ARTIFACTS, { recursive: true });
    // Oracle 1: login links (the default); oracle 2: loopback only, no login; oracle 3: no console.
    const access = ['login', 'loopback', 'off'];
    cluster = await startCluster(3, 2, {
      ...EDDSA_ONLY,
      oracleConfig: (n) => (n === 1 ? {} : { console: { access: access[n - 1] } }),
    });
    base = `http://${cluster.oracles[0]!.config.http!.listen}`;
    ({ stateDir, kid } = await cluster.enroll(NAME));
    original = await cluster.startAgent(stateDir, undefined, { heartbeatMs: 0 });
    await original.sign(Buffer.from('before the copy'));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    if (cluster && !failed) removeClusterDir(cluster);
  });

  const login = async () => {
    const r = await mpcid(['console', 'login', '--admin', cluster.oracles[0]!.config.adminListen]);
    expect(r.code, r.stderr).toBe(0);
    const { url, expiresAt } = JSON.parse(r.stdout) as { url: string; expiresAt: string };
    expect(url.startsWith(`${base}/console/login?token=`)).toBe(true);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(60_000);
    secrets.push(new URL(url).searchParams.get('token')!);
    return url;
  };

  it('without a login, every console path gives the login page and nothing else', async () => {
    try {
      const ctx = await browser.createBrowserContext();
      const page = await ctx.newPage();
      for (const path of ['/console', '/console/', `/console/revocations/${kid}`, '/console/events']) {
        const res = await page.goto(`${base}${path}`);
        expect(res?.status(), path).toBe(401);
        expect(await page.$('#login'), path).not.toBeNull();
        const html = await page.content();
        expect(html, path).not.toContain(NAME);
        expect(html, path).not.toContain(kid);
      }
      await page.screenshot({ path: join(ARTIFACTS, '0-login-page.png') });
      // A made-up token and a forged cookie get the same.
      expect((await page.goto(`${base}/console/login?token=${'A'.repeat(43)}`))?.status()).toBe(401);
      await page.setCookie({ name: 'mpcid_console', value: 'B'.repeat(43), url: base });
      expect((await page.goto(`${base}/console`))?.status()).toBe(401);
      await ctx.close();
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  it('logs in with a link, sees the identity, sees a clone revoked live, and opens the evidence picture', async () => {
    try {
      const url = await login();
      // A HEAD (a link checker) does not use the link up.
      expect((await fetch(url, { method: 'HEAD', redirect: 'manual' })).status).toBe(401);
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 860 });
      const res = await page.goto(url);
      expect(res?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/console');
      const session = (await page.cookies()).find((c) => c.name === 'mpcid_console');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
      secrets.push(session!.value);
      const row = `tr[data-identity="${kid}"]`;
      expect(await page.$eval(`${row} .name`, (e) => e.textContent)).toBe(NAME);
      expect(await page.$eval(`${row} .status`, (e) => e.textContent)).toBe('active');
      expect(await page.$eval('#peers-up', (e) => e.textContent)).toMatch(/^\d\/2$/);
      await page.waitForSelector('#live.on', { timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, '1-identity-active.png') });

      // The link worked once: another browser context gets the login page with it.
      const other = await browser.createBrowserContext();
      const again = await (await other.newPage()).goto(url);
      expect(again?.status()).toBe(401);
      await other.close();

      // A marker that a reload would erase.
      await page.evaluate(() => {
        (globalThis as unknown as { marker: number }).marker = 42;
      });
      // Clone the workload: a snapshot of the agent's state dir, run as a second agent; both sign.
      copyStateDir(stateDir, `${stateDir}-copy`);
      const copy = await cluster.startAgent(`${stateDir}-copy`, undefined, { heartbeatMs: 0 });
      await original.sign(Buffer.from('original')).catch(() => undefined);
      await copy.sign(Buffer.from('copy')).catch(() => undefined);
      await original.sign(Buffer.from('original again')).catch(() => undefined);

      await page.waitForSelector(`${row}.revoked`, { timeout: 20_000 });
      expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
      expect(await page.$eval(`${row} .status`, (e) => e.textContent)).toBe('revoked');
      const feed = await page.$$eval('#feed li', (ls) => ls.map((l) => l.textContent ?? ''));
      expect(feed.some((t) => t.includes('identity.clone_detected') && t.includes(kid))).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, '2-revoked-live.png') });

      // The evidence picture: two histories forking at one counter, each with its network peer.
      await Promise.all([
        page.waitForNavigation(),
        page.click(`#revocations li[data-identity="${kid}"] a.evidence`),
      ]);
      await page.waitForSelector('svg#fork');
      const branches = await page.$$eval('svg#fork g.branch', (gs) =>
        gs.map((g) => ({ role: g.getAttribute('data-role'), text: g.textContent ?? '' })),
      );
      expect(branches.map((b) => b.role)).toEqual(['accepted', 'conflicting']);
      for (const b of branches) {
        expect(b.text).toMatch(/counter \d+/);
        expect(b.text).toMatch(/kind \w+/);
        expect(b.text).toMatch(/peer \S+:\d+/);
      }
      const label = await page.$eval('svg#fork .forklabel', (e) => e.textContent ?? '');
      const forkAt = Number(/fork at counter (\d+)/.exec(label)?.[1]);
      expect(forkAt).toBeGreaterThan(0);
      const evidence = await page.$eval('pre.json', (e) => e.textContent ?? '');
      expect(JSON.parse(evidence).identityId).toBe(kid);
      const picture = await page.$('svg#fork');
      await picture!.screenshot({ path: join(ARTIFACTS, '3-evidence-fork.png') });
      await page.screenshot({ path: join(ARTIFACTS, '4-evidence-page.png'), fullPage: true });
      await page.close();
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  it('no login token or session id reaches a log', () => {
    expect(secrets).toHaveLength(2);
    const logs = join(cluster.dir, 'logs');
    const files = readdirSync(logs);
    expect(files.length).toBeGreaterThan(3);
    const all = files.map((f) => readFileSync(join(logs, f), 'utf8')).join('\n');
    expect(all).toContain('console login link created'); // the logs are the oracles' and they were read
    for (const s of secrets) expect(all).not.toContain(s);
  });

  it('loopback access needs no login from a loopback peer; off serves no console; neither makes links', async () => {
    const [, loop, off] = cluster.oracles;
    const page = await (await browser.createBrowserContext()).newPage();
    expect((await page.goto(`http://${loop!.config.http!.listen}/console`))?.status()).toBe(200);
    expect(await page.$eval(`tr[data-identity="${kid}"] .name`, (e) => e.textContent)).toBe(NAME);
    expect((await page.goto(`http://${off!.config.http!.listen}/console`))?.status()).toBe(404);
    for (const o of [loop!, off!]) {
      const r = await mpcid(['console', 'login', '--admin', o.config.adminListen]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^mpcid: CONSOLE_NO_LOGIN: /);
      expect(r.stdout).toBe('');
    }
  });
});
