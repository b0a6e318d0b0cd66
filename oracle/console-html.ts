/**
 * The console's pages (oracle/console.ts serves them): server-rendered HTML, one stylesheet and a
 * little script (oracle/console-assets.ts), no build step, nothing from another origin. Every
 * value from the store is escaped; the evidence picture is inline SVG drawn here.
 */
import type { AlertEvent, AlertHistory } from './records.js';

/** HTML-escapes text for element content and quoted attribute values. */
export function esc(v: unknown): string {
  return String(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : '');

function page(title: string, body: string, opts: { script?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title><link rel="stylesheet" href="/console/assets/console.css">
${opts.script ? '<script src="/console/assets/console.js" defer></script>' : ''}
</head><body>${body}</body></html>`;
}

/** What anyone without a session gets, for every console path. */
export function loginPage(loginTtlSeconds: number, why?: string): string {
  return page(
    'mpcid console: sign in',
    `<main class="login" id="login"><h1>mpcid console</h1>
<p>${why ? `${esc(why)} ` : ''}This console needs a login link. An operator with the admin role makes one:</p>
<pre>mpcid console login --admin ORACLE_ADMIN_ADDRESS --tls ADMIN_BUNDLE</pre>
<p>A link works once and expires after ${Math.round(loginTtlSeconds / 60) || 1} minute(s).</p></main>`,
  );
}

export interface IdentityRow {
  identityId: string;
  name: string;
  kids: string[];
  status: string;
  counter: number;
  lastStep?: { kind: string; time: number; peer: string } | undefined;
}

export interface RevocationRow {
  identityId: string;
  name: string;
  status: string;
  reason: string;
  counter: number;
  detectedBy: number;
  detectedAt: number;
  digest: string;
}

export interface Health {
  nodeId: number;
  clusterId: string;
  n: number;
  t: number;
  peers: { id: number; up: boolean }[];
  outbox: { webhook: number; sink: string; depth: number; dead: number }[];
  deadLetters: number;
}

function healthSection(h: Health): string {
  const up = h.peers.filter((p) => p.up).length;
  const peers = h.peers
    .map((p) => `<li class="${p.up ? 'up' : 'down'}">oracle ${p.id}: ${p.up ? 'up' : 'down'}</li>`)
    .join('');
  const hooks = h.outbox.length
    ? h.outbox
        .map(
          (o) =>
            `<tr><td>${o.webhook}</td><td>${esc(o.sink)}</td><td class="num">${o.depth}</td><td class="num${o.dead ? ' bad' : ''}">${o.dead}</td></tr>`,
        )
        .join('')
    : '<tr><td colspan="4">no webhooks configured</td></tr>';
  return `<section id="health"><h2>Cluster health</h2>
<p>oracle ${h.nodeId} of cluster <b>${esc(h.clusterId)}</b> (n=${h.n}, t=${h.t}); peers up: <b id="peers-up">${up}/${h.peers.length}</b></p>
<ul class="peers">${peers}</ul>
<table><thead><tr><th>webhook</th><th>sink</th><th>outbox depth</th><th>dead letters</th></tr></thead><tbody>${hooks}</tbody></table>
<p>dead letters in all: <b id="dead-letters">${h.deadLetters}</b></p></section>`;
}

function identityRow(r: IdentityRow): string {
  const last = r.lastStep
    ? `${esc(r.lastStep.kind)} at ${esc(iso(r.lastStep.time))} from ${esc(r.lastStep.peer)}`
    : '';
  return `<tr data-identity="${esc(r.identityId)}" class="${esc(r.status)}"><td class="name">${esc(r.name)}</td>
<td class="kids">${r.kids.map((k) => `<code>${esc(k)}</code>`).join('<br>')}</td>
<td class="status">${esc(r.status)}</td><td class="num counter">${r.counter}</td><td class="last">${last}</td></tr>`;
}

export function revocationItem(r: RevocationRow): string {
  return `<li data-identity="${esc(r.identityId)}"><a class="evidence" href="/console/revocations/${esc(r.identityId)}">${esc(r.name)}</a>
<span class="tag ${esc(r.status)}">${esc(r.status)}</span> ${esc(r.reason)} at counter ${r.counter}, detected by oracle ${r.detectedBy || '?'} at ${esc(iso(r.detectedAt))}</li>`;
}

/** One line of the live feed (the script builds the same line for events that arrive later). */
export function feedItem(seq: number, e: AlertEvent): string {
  return `<li data-seq="${seq}"><b>${esc(e.type)}</b> ${esc(e.name)} <code>${esc(e.identityId)}</code> at ${esc(e.time)}</li>`;
}

export function mainPage(
  h: Health,
  identities: IdentityRow[],
  more: boolean,
  revocations: RevocationRow[],
  feed: { seq: number; event: AlertEvent }[],
): string {
  const lastSeq = feed.reduce((m, f) => Math.max(m, f.seq), 0);
  return page(
    'mpcid console',
    `<header><h1>mpcid console</h1><span id="live" class="live">connecting…</span></header><main data-after="${lastSeq}">
${healthSection(h)}
<section id="identities-section"><h2>Identities</h2>
<table id="identities"><thead><tr><th>name</th><th>kids</th><th>status</th><th>counter</th><th>last step</th></tr></thead>
<tbody>${identities.map(identityRow).join('')}</tbody></table>${more ? '<p>(first identities only)</p>' : ''}</section>
<section><h2>Revocations</h2><ul id="revocations">${revocations.map(revocationItem).join('')}</ul>
${revocations.length ? '' : '<p id="no-revocations">none</p>'}</section>
<section><h2>Live alerts</h2><ul id="feed">${feed
      .slice()
      .reverse()
      .map((f) => feedItem(f.seq, f.event))
      .join('')}</ul></section></main>`,
    { script: true },
  );
}

/** One side of the fork as a labelled node at (x, y). */
function branchNode(h: AlertHistory, x: number, y: number): string {
  const cls = h.role === 'accepted' ? 'accepted' : 'conflicting';
  const lines = [
    `${h.role}${h.exposing ? ' (exposing step: this copy was behind)' : ''}`,
    `counter ${h.counter}`,
    `kind ${h.kind}`,
    `time ${h.time ?? '(exposing step: no time)'}`,
    `peer ${h.peer}`,
  ];
  return `<g class="branch ${cls}" data-role="${esc(h.role)}"><circle cx="${x}" cy="${y}" r="9"/>
<rect x="${x + 18}" y="${y - 46}" width="330" height="94" rx="6"/>${lines
    .map(
      (l, i) =>
        `<text x="${x + 28}" y="${y - 24 + i * 16}"${i === 0 ? ' class="role"' : ''}>${esc(l)}</text>`,
    )
    .join('')}</g>`;
}

/**
 * The evidence as a picture: the shared history up to the fork, then the two conflicting steps
 * side by side (counter, time, kind, network peer), the histories forking at one counter.
 */
export function forkPicture(histories: AlertHistory[], counter: number): string {
  const [a, b] = histories as [AlertHistory, AlertHistory];
  const forkAt = Math.min(a.counter, b.counter);
  const trunk = [0, 1, 2].map((i) => `<circle class="shared" cx="${60 + i * 70}" cy="150" r="6"/>`).join('');
  return `<svg id="fork" class="fork" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760 300" width="760" height="300" role="img"
 aria-label="two histories of one identity forking at counter ${forkAt}">
<title>two histories forking at counter ${forkAt}</title>
<path class="trunk" d="M40 150 H260"/>${trunk}
<text x="40" y="180">shared history, up to counter ${Math.max(forkAt - 1, 0)}</text>
<path class="edge accepted" d="M260 150 C300 150 300 70 360 70"/>
<path class="edge conflicting" d="M260 150 C300 150 300 230 360 230"/>
<circle class="forkpoint" cx="260" cy="150" r="8"/>
<text x="150" y="132" class="forklabel">fork at counter ${forkAt}</text>
${branchNode(a, 360, 70)}${branchNode(b, 360, 230)}
<text x="40" y="290" class="note">revoked at counter ${counter}: both steps are signed by the identity's session key</text></svg>`;
}

export function evidencePage(
  r: RevocationRow & { evidenceJson: string; peers: string[]; operator?: boolean },
  histories: AlertHistory[] | undefined,
): string {
  const picture = histories
    ? forkPicture(histories, r.counter)
    : `<p id="no-fork">This revocation is not a fork (${esc(r.reason)}): the evidence is ${
        r.operator
          ? "an operator's signed revocation (check it with the cluster CA: mpcid evidence verify --ca)"
          : 'an ES256 abort claim'
      }, below.</p>`;
  return page(
    `mpcid console: evidence for ${r.name}`,
    `<header><h1>Evidence: ${esc(r.name)}</h1><a href="/console">back</a></header><main id="evidence">
<p><span class="tag ${esc(r.status)}">${esc(r.status)}</span> ${esc(r.reason)}; detected by oracle ${r.detectedBy || '?'} at ${esc(iso(r.detectedAt))}; evidence digest <code>${esc(r.digest)}</code></p>
${picture}
<h2>Evidence document</h2><pre class="json">${esc(JSON.stringify(JSON.parse(r.evidenceJson), null, 2))}</pre>
<p>Check it offline: <code>mpcid evidence get --identity ${esc(r.identityId)} … &gt; e.json &amp;&amp; mpcid evidence verify e.json</code></p></main>`,
  );
}
