/** `mpcid evidence verify`: check a revocation evidence document offline. */

import { readFileSync } from 'node:fs';
import { MpcidError } from '../../common/errors.js';
import { isOperatorRevocation } from '../../common/operator-revocation.js';
import { sessionKeyFrom, verifyEvidenceDocument, verifyOperatorDocument } from '../alerts.js';
import { opts, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const evidenceVerify: Command = {
  names: ['evidence verify'],
  summary: 'check a revocation evidence document offline',
  usage: `mpcid evidence verify FILE [--session-key B64U] [--accuser-key B64U] [--ca FILE]
      an operator's revocation (identity revoke) is checked with the cluster CA certificate (--ca)`,
  async run(args) {
    const { values, positionals } = opts(args, {
      'session-key': 'string',
      'accuser-key': 'string',
      ca: 'string',
    });
    if (positionals.length !== 1) throw new UsageError('evidence verify takes one FILE');
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
    } catch (e) {
      throw new MpcidError('BAD_EVIDENCE', `cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    if (isOperatorRevocation(doc)) {
      const ca = values['ca'];
      if (typeof ca !== 'string') throw new UsageError('an operator revocation is checked with --ca FILE');
      let caPem: Buffer;
      try {
        caPem = readFileSync(ca);
      } catch (e) {
        throw new MpcidError('CONFIG_INVALID', `cannot read ${ca}: ${(e as Error).message}`);
      }
      const verdict = verifyOperatorDocument(doc, caPem);
      process.stdout.write(`${JSON.stringify(verdict)}\n`);
      if (!verdict.valid) process.exitCode = 1;
      return;
    }
    const flag = values['session-key'];
    const key =
      typeof flag === 'string' ? flag : (doc as { sessionPublicKey?: unknown } | null)?.sessionPublicKey;
    if (key === undefined) throw new UsageError('no sessionPublicKey in the file: pass --session-key');
    // An oracle's ECDSA abort claim is signed with its node key: --accuser-key, else the file's.
    const accuserFlag = values['accuser-key'];
    const accuser =
      typeof accuserFlag === 'string'
        ? accuserFlag
        : (doc as { accuserPublicKey?: unknown } | null)?.accuserPublicKey;
    const verdict = verifyEvidenceDocument(
      doc,
      sessionKeyFrom(key, 'session key'),
      accuser === undefined ? undefined : sessionKeyFrom(accuser, 'accuser key'),
    );
    process.stdout.write(`${JSON.stringify(verdict)}\n`);
    if (!verdict.valid) process.exitCode = 1;
  },
};
