/**
 * cli/commands/index.ts, the registry `mpcid` finds commands in without loading them: each
 * entry's names are exactly its module's own, no name is claimed twice, and every command file
 * in cli/commands/ is registered (a new command cannot be forgotten, nor an entry go stale).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, loadAll } from '../../cli/commands/index.js';

describe('the CLI registry', () => {
  it("names every command by its module's own names, each name once", async () => {
    const loaded = await loadAll();
    expect(loaded).toHaveLength(COMMANDS.length);
    COMMANDS.forEach((entry, i) => {
      expect(entry.names, `entry ${i}`).toEqual(loaded[i]!.names);
      expect(loaded[i]!.usage.startsWith(`mpcid ${entry.names[0]}`), entry.names[0]).toBe(true);
    });
    const all = COMMANDS.flatMap((c) => c.names);
    expect(new Set(all).size).toBe(all.length);
  });

  it('registers every file of cli/commands/, and each file once', async () => {
    const dir = join(import.meta.dirname, '../../cli/commands');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    // The files the registry's loaders import, one per entry (import('./NAME.js') in its source).
    const source = readFileSync(join(dir, 'index.ts'), 'utf8');
    const loaded = [...source.matchAll(/import\('\.\/([a-z-]+)\.js'\)/g)].map((m) => m[1]!);
    expect(loaded).toHaveLength(COMMANDS.length);
    expect(loaded.sort()).toEqual(files);
  });
});
