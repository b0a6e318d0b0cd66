/** `mpcid audit`: one oracle's audit log of an identity's accepted steps, as JSON lines (admin API). */

import { MpcidError } from '../../common/errors.js';
import { call } from '../../common/grpc.js';
import { clientTls, optional, opts, str, TLS_OPTS, using } from '../args.js';
import { adminClient } from '../clients.js';
import type { Command } from '../command.js';

/** --since: Unix milliseconds or an ISO 8601 time. */
function parseSince(v: string): number {
  if (v === '') return 0;
  const ms = /^[0-9]+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new MpcidError('MALFORMED_INPUT', '--since: Unix milliseconds or an ISO 8601 time');
  return ms;
}

export const audit: Command = {
  names: ['audit'],
  summary: "one oracle's audit log of an identity's steps, oldest first (admin API)",
  usage: `mpcid audit --admin ADDR --identity ID [--since TIME] [--kind KIND]        [TLS]
      one JSON line per accepted step: {identityId, counter, kind, time, client, jti, aud, exp, typ, blobId, register, measured, refusal}`,
  async run(args) {
    const { values } = opts(args, {
      admin: 'string',
      identity: 'string',
      since: 'string',
      kind: 'string',
      ...TLS_OPTS,
    });
    const address = str(values, 'admin');
    const identityId = str(values, 'identity');
    const since = parseSince(optional(values['since']));
    const kind = optional(values['kind']);
    await using(adminClient(address, clientTls(values).tls), 'audit', async (admin) => {
      let pageToken = '';
      do {
        const res = await call(
          admin,
          admin.ListAudit,
          { identityId, since, kind, pageSize: 500, pageToken },
          10_000,
        );
        const lines = res.entries.map((e) =>
          JSON.stringify({
            identityId: e.identityId,
            counter: e.counter,
            kind: e.kind,
            time: new Date(e.time).toISOString(),
            client: e.client,
            ...(e.jti ? { jti: e.jti } : {}),
            ...(e.audJson ? { aud: JSON.parse(e.audJson) as unknown } : {}),
            ...(e.exp ? { exp: e.exp } : {}),
            ...(e.typ ? { typ: e.typ } : {}),
            ...(e.blobId ? { blobId: e.blobId } : {}),
            ...(e.kind === 'measure' ? { register: e.register, measured: e.measured } : {}),
            ...(e.refusal ? { refusal: e.refusal } : {}),
          }),
        );
        if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
        pageToken = res.nextPageToken;
      } while (pageToken);
    });
  },
};
