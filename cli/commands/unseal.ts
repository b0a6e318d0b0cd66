/** `mpcid unseal`: open a blob sealed to the agent's identity (one unseal step, docs/protocol.md §6.3). */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileDurable } from '../../common/fsutil.js';
import { call } from '../../common/grpc.js';
import { opts, str, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const unseal: Command = {
  names: ['unseal'],
  summary: "open a blob sealed to the agent's identity",
  usage: `mpcid unseal --socket PATH --in BLOB --out FILE|-`,
  async run(args) {
    const { values } = opts(args, { socket: 'string', in: 'string', out: 'string' });
    const blob = readFileSync(str(values, 'in'));
    const out = str(values, 'out');
    await using(workloadClient(resolve(str(values, 'socket'))), 'unseal', async (wl) => {
      const res = await call(wl, wl.Unseal, { blob }, 30_000);
      // Written only once opened (mode 0600): a refused blob leaves no file.
      if (out === '-') process.stdout.write(res.plaintext);
      else writeFileDurable(resolve(out), res.plaintext, 0o600);
    });
  },
};
