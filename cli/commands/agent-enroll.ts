/** `mpcid agent enroll`: enroll an agent with a join token (DKG with the oracles). */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { enroll } from '../../agent/enroll.js';
import { createLogger } from '../../common/log.js';
import { bundleFiles } from '../../common/tls.js';
import { p256Uncompressed } from '../../crypto/p256.js';
import { clientTls, enrollAlgs, opts, str, TLS_OPTS } from '../args.js';
import type { Command } from '../command.js';

export const agentEnroll: Command = {
  names: ['agent enroll'],
  summary: 'enroll an agent with a join token (DKG with the oracles)',
  usage: `mpcid agent enroll (--token TOKEN | --token-file FILE) --state DIR [--algs EdDSA[,ES256]]  [TLS]`,
  async run(args) {
    const { values } = opts(args, {
      token: 'string',
      'token-file': 'string',
      state: 'string',
      algs: 'string',
      ...TLS_OPTS,
    });
    const algs = enrollAlgs(values['algs']);
    const token =
      typeof values['token-file'] === 'string'
        ? readFileSync(values['token-file'], 'utf8').trim()
        : str(values, 'token');
    const stateDir = resolve(str(values, 'state'));
    const log = createLogger('agent');
    const { tls, dir } = clientTls(values);
    if (!tls) {
      log.warn(
        { tls: 'insecure' },
        'TLS IS OFF (--insecure): enrolling over plaintext; anyone on the network can read the join token. Use only for local development.',
      );
    }
    const state = await enroll({
      token,
      stateDir,
      log,
      tls: tls && dir ? { files: bundleFiles(dir), material: tls } : null,
      algs,
    });
    const es256 = state.es256
      ? {
          es256: {
            kid: state.es256.kid,
            publicKey: Buffer.from(p256Uncompressed(state.es256.publicKey)).toString('base64url'),
          },
        }
      : {};
    process.stdout.write(
      `${JSON.stringify({ name: state.name, kid: state.identityId, alg: 'EdDSA', publicKey: Buffer.from(state.group.groupPublicKey).toString('base64url'), ...es256 })}\n`,
    );
  },
};
