/**
 * `mpcid measure`: extend one measurement register of the agent's identity with the SHA-256 of a
 * file (or a given digest): one measure step (docs/protocol.md §6.4).
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MpcidError } from '../../common/errors.js';
import { call } from '../../common/grpc.js';
import { toHex } from '../../crypto/bytes.js';
import { optional, opts, str, UsageError, using } from '../args.js';
import { workloadClient } from '../clients.js';
import type { Command } from '../command.js';

export const measure: Command = {
  names: ['measure'],
  summary: 'extend a measurement register with the SHA-256 of a file (one measure step)',
  usage: `mpcid measure --socket PATH --register N (--in FILE|- | --digest HEX)
      prints {"register":N,"value":"<hex>","counter":C}: the register's new value and the step's counter`,
  async run(args) {
    const { values } = opts(args, { socket: 'string', register: 'string', in: 'string', digest: 'string' });
    const raw = str(values, 'register');
    const register = Number(raw);
    if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(register))
      throw new UsageError('--register must be a non-negative integer');
    const input = optional(values['in']);
    const hex = optional(values['digest']);
    if ((input === '') === (hex === '')) throw new UsageError('give one of --in FILE and --digest HEX');
    let digest: Buffer;
    if (input !== '')
      digest = createHash('sha256')
        .update(readFileSync(input === '-' ? 0 : input))
        .digest();
    else {
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new MpcidError('MALFORMED_INPUT', '--digest: expected hex');
      digest = Buffer.from(hex, 'hex');
    }
    await using(workloadClient(resolve(str(values, 'socket'))), 'measure', async (wl) => {
      const res = await call(wl, wl.Measure, { register, digest }, 30_000);
      const value = res.values[register];
      process.stdout.write(
        `${JSON.stringify({ register, value: value ? toHex(value) : '', counter: res.counter })}\n`,
      );
    });
  },
};
