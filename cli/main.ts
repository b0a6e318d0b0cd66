#!/usr/bin/env node
/**
 * The mpcid command: finds the command in the registry (cli/commands/index.ts) and runs it.
 * Output meant for programs goes to stdout (one JSON line or one token); logs and errors go to
 * stderr. Exit status: 0 ok, 1 failure, 2 usage error. `mpcid --help` and `mpcid CMD --help`
 * print usage and exit 0.
 */
import { asMpcidError } from '../common/errors.js';
import { silenceIpServerNameWarning } from '../common/tls.js';
import { UsageError } from './args.js';
import type { Command } from './command.js';
import { COMMANDS, loadAll } from './commands/index.js';

const TLS_NOTE = `[TLS]: --tls DIR (a bundle: ca.crt, tls.crt, tls.key) or $MPCID_TLS_DIR; agent run defaults to the
       bundle enroll copied into its state dir; plaintext only with --insecure (or MPCID_INSECURE=1)`;

const HELP = new Set(['--help', '-h', 'help']);

const indent = (s: string): string =>
  s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

/** The full usage: every command's usage lines, then the TLS note. */
export async function usage(): Promise<string> {
  const all = await loadAll();
  return `usage:\n${all.map((c) => indent(c.usage)).join('\n')}\n${TLS_NOTE}`;
}

/** One command's help: summary, usage, aliases and (for client commands) the TLS note. */
function commandHelp(c: Command): string {
  const aliases = c.names.length > 1 ? `\nalso: mpcid ${c.names.slice(1).join(', mpcid ')}` : '';
  const tls = c.usage.includes('[TLS]') ? `\n${TLS_NOTE}` : '';
  return `mpcid ${c.names[0]}: ${c.summary}\n\nusage:\n${indent(c.usage)}${aliases}${tls}`;
}

/** The command named by the first one or two words of `argv` (loaded), and the arguments after its name. */
async function find(argv: string[]): Promise<{ command: Command; args: string[] } | undefined> {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const entry = COMMANDS.find((c) => c.names.includes(name));
    if (entry && argv.length >= words) return { command: await entry.load(), args: argv.slice(words) };
  }
  return undefined;
}

async function main(argv: string[]): Promise<void> {
  if (argv.length === 0) throw new UsageError('no command given');
  if (HELP.has(argv[0]!)) {
    process.stdout.write(`${await usage()}\n`);
    return;
  }
  const found = await find(argv);
  if (!found) throw new UsageError(`unknown command: ${argv.slice(0, 2).join(' ')}`);
  if (found.args.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${commandHelp(found.command)}\n`);
    return;
  }
  await found.command.run(found.args);
}

silenceIpServerNameWarning();
main(process.argv.slice(2)).catch(async (e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`mpcid: ${e.message}\n${await usage().catch(() => '')}\n`);
    process.exit(2);
  }
  const known = asMpcidError(e);
  if (known) {
    process.stderr.write(`mpcid: ${known.code}: ${known.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`mpcid: INTERNAL: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
