/** `mpcid seal`: seal a secret (at most 64 KiB) to the agent's identity (docs/protocol.md §6.3). */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileDurable } from '../../common/fsutil.js';
import { call } from '../../common/grpc.js';
import { opts, str, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const seal: Command = {
  names: ['seal'],
  summary: "seal a secret to the agent's identity (only it, with t oracles, unseals it)",
  usage: `mpcid seal --socket PATH --in FILE|- --out BLOB [--policy JSON]`,
  async run(args) {
    const { values } = opts(args, { socket: 'string', in: 'string', out: 'string', policy: 'string' });
    const input = str(values, 'in');
    const out = str(values, 'out');
    const plaintext = input === '-' ? readFileSync(0) : readFileSync(input);
    const policyJson = typeof values['policy'] === 'string' ? values['policy'] : '';
    await using(workloadClient(resolve(str(values, 'socket'))), 'seal', async (wl) => {
      const res = await call(wl, wl.Seal, { plaintext, policyJson }, 30_000);
      // Written only once sealed: a refused request leaves no file.
      writeFileDurable(resolve(out), res.blob, 0o600);
      process.stdout.write(`${JSON.stringify({ out, bytes: res.blob.length })}\n`);
    });
  },
};
