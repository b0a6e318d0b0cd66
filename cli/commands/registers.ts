/** `mpcid registers`: the measurement registers of the agent's identity (docs/protocol.md §6.4). */

import { resolve } from 'node:path';
import { call } from '../../common/grpc.js';
import { toHex } from '../../crypto/bytes.js';
import { opts, str, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const registers: Command = {
  names: ['registers'],
  summary: 'print the measurement registers the oracles hold for the agent',
  usage: `mpcid registers --socket PATH
      prints {"counter":C,"registers":["<hex>", ... 16 values]}; C is the last measure step (0: none)`,
  async run(args) {
    const { values } = opts(args, { socket: 'string' });
    await using(workloadClient(resolve(str(values, 'socket'))), 'registers', async (wl) => {
      const res = await call(wl, wl.ReadRegisters, {}, 10_000);
      process.stdout.write(`${JSON.stringify({ counter: res.counter, registers: res.values.map(toHex) })}\n`);
    });
  },
};
