/** `mpcid verify`: verify a token against a quorum of oracles. */

import { readFileSync } from 'node:fs';
import { verifyToken } from '../../verifier/index.js';
import { int, list, opts, str, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const verify: Command = {
  names: ['verify'],
  summary: 'verify a token against a quorum of oracles',
  usage: `mpcid verify --token TOKEN|- --oracle URL [--oracle URL ..] [--quorum T] [--ca FILE]
             [--insecure-http] [--allow-single-oracle] (--audience AUD | --nonce N --typ mpcid-attestation+jwt)`,
  async run(args) {
    const { values } = opts(args, {
      token: 'string',
      audience: 'string',
      oracle: 'strings',
      quorum: 'string',
      ca: 'string',
      'insecure-http': 'boolean',
      'allow-single-oracle': 'boolean',
      nonce: 'string',
      typ: 'string',
    });
    const tokenArg = str(values, 'token');
    const oracles = ((values['oracle'] as string[] | undefined) ?? []).flatMap((o) => list(o));
    if (oracles.length === 0) throw new UsageError('--oracle is required (once per oracle, or a comma list)');
    let ca: Buffer | undefined;
    if (typeof values['ca'] === 'string') {
      try {
        ca = readFileSync(values['ca']);
      } catch (e) {
        throw new UsageError(
          `--ca: cannot read ${values['ca']} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
    const token = tokenArg === '-' ? readFileSync(0, 'utf8').trim() : tokenArg;
    const r = await verifyToken(token, {
      oracles,
      ...(values['quorum'] === undefined ? {} : { quorum: int(values, 'quorum', 0) }),
      ...(ca ? { ca } : {}),
      allowInsecureHttp: values['insecure-http'] === true,
      allowSingleOracle: values['allow-single-oracle'] === true,
      ...(typeof values['audience'] === 'string' ? { audience: values['audience'] } : {}),
      ...(typeof values['nonce'] === 'string' ? { nonce: values['nonce'] } : {}),
      ...(typeof values['typ'] === 'string' ? { typ: values['typ'] } : {}),
    });
    if (r.ok) {
      process.stdout.write(`valid: sub=${String(r.claims.sub)} kid=${r.kid} exp=${String(r.claims.exp)}\n`);
      return;
    }
    process.stdout.write(`invalid: ${r.code}: ${r.reason}\n`);
    process.exitCode = 1;
  },
};
