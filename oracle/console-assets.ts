/**
 * The console's stylesheet and script, served from /console/assets/ (same origin, so the pages'
 * Content-Security-Policy allows nothing else). Plain CSS and plain browser JavaScript, kept here
 * as text: no bundler, no build step, no CDN.
 *
 * The script keeps one EventSource on /console/events (server-sent events from the alert log,
 * resuming with Last-Event-ID after a drop) and applies each alert to the page: a line in the
 * live feed, the identity's row marked revoked (or suspended), and a revocation entry linking
 * to its evidence picture. It only ever sets textContent, never HTML.
 */

export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d232b; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #1d232b; color: #fff; }
header h1 { font-size: 1.15rem; margin: 0; }
header a { color: #9cc9ff; }
main { padding: .4rem 1.2rem 2rem; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: .2rem 1rem .8rem; margin: .8rem 0; }
h2 { font-size: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eceff2; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad, .bad { color: #b3261e; font-weight: 600; }
code { font-size: .78rem; }
tr.revoked td.status, .tag.revoked { color: #fff; background: #b3261e; }
tr.suspended td.status, .tag.suspended { color: #000; background: #f3c623; }
tr.active td.status { color: #0b6b2f; font-weight: 600; }
.tag { border-radius: 4px; padding: 0 .35rem; font-size: .8rem; }
ul.peers { list-style: none; padding: 0; display: flex; gap: 1rem; }
ul.peers li.up::before { content: "\\25CF "; color: #0b8a3a; }
ul.peers li.down::before { content: "\\25CF "; color: #b3261e; }
#feed li, #revocations li { margin: .25rem 0; font-size: .9rem; }
.live { font-size: .8rem; border-radius: 4px; padding: .1rem .5rem; background: #555; }
.live.on { background: #0b8a3a; }
.live.off { background: #b3261e; }
.login { max-width: 36rem; margin: 4rem auto; background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 1rem 2rem; }
pre { background: #f0f2f4; padding: .6rem; overflow: auto; font-size: .78rem; }
svg.fork { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; max-width: 100%; height: auto; }
svg.fork text { font-size: 12px; fill: #1d232b; }
svg.fork text.role { font-weight: 700; }
svg.fork .trunk { stroke: #6b7785; stroke-width: 4; fill: none; }
svg.fork circle.shared { fill: #6b7785; }
svg.fork .forkpoint { fill: #1d232b; }
svg.fork .forklabel { font-weight: 700; }
svg.fork .edge { stroke-width: 4; fill: none; }
svg.fork .edge.accepted, svg.fork .accepted circle { stroke: #1f6feb; fill: #1f6feb; }
svg.fork .edge.accepted { fill: none; }
svg.fork .edge.conflicting, svg.fork .conflicting circle { stroke: #b3261e; fill: #b3261e; }
svg.fork .edge.conflicting { fill: none; }
svg.fork .branch rect { fill: #f6f7f9; stroke: #dde1e6; }
svg.fork .accepted rect { stroke: #1f6feb; }
svg.fork .conflicting rect { stroke: #b3261e; }
svg.fork .note { fill: #6b7785; }
`;

export const CONSOLE_JS = `'use strict';
(function () {
  var main = document.querySelector('main[data-after]');
  if (!main || !window.EventSource) return;
  var live = document.getElementById('live');
  var feed = document.getElementById('feed');
  var revs = document.getElementById('revocations');
  var es = new EventSource('/console/events?after=' + encodeURIComponent(main.getAttribute('data-after') || '0'));
  es.onopen = function () { live.textContent = 'live'; live.className = 'live on'; };
  es.onerror = function () {
    // CLOSED: the server refused the stream (the session ended); else the browser reconnects.
    live.textContent = es.readyState === 2 ? 'disconnected: reload to sign in again' : 'reconnecting…';
    live.className = 'live off';
  };
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  es.addEventListener('alert', function (m) {
    var msg = JSON.parse(m.data);
    var e = msg.event;
    var li = el('li');
    li.setAttribute('data-seq', String(msg.seq));
    li.append(el('b', e.type), ' ' + e.name + ' ', el('code', e.identityId), ' at ' + e.time);
    feed.prepend(li);
    var status = e.type === 'identity.suspended' ? 'suspended' : 'revoked';
    var sel = '[data-identity="' + CSS.escape(e.identityId) + '"]';
    var row = document.querySelector('tr' + sel);
    if (row) {
      row.className = status;
      row.querySelector('.status').textContent = status;
    }
    var item = revs.querySelector('li' + sel);
    if (!item) {
      item = el('li');
      item.setAttribute('data-identity', e.identityId);
      var a = el('a', e.name, 'evidence');
      a.href = '/console/revocations/' + encodeURIComponent(e.identityId);
      item.append(a, ' ', el('span', status, 'tag ' + status), ' ' + e.reason + ' at counter ' + e.counter +
        ', detected by oracle ' + (e.detectingNode || '?') + ' at ' + e.time);
      revs.prepend(item);
    } else {
      var tag = item.querySelector('.tag');
      tag.textContent = status;
      tag.className = 'tag ' + status;
    }
    var none = document.getElementById('no-revocations');
    if (none) none.remove();
  });
})();
`;
