import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommand } from './args.js';
import { HELP } from './help.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const flagsOf = (text: string) => new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map((m) => m[0]));

describe('--help', () => {
  it('names the same flags as the README, each of which the parser takes', () => {
    const inHelp = flagsOf(HELP);
    expect([...inHelp].sort()).toEqual([...flagsOf(README)].filter((f) => f !== '--omit').sort());
    for (const flag of inHelp) {
      // Taken, or refused on purpose with a message naming it; never "Unknown option".
      const value = ['--batch', '--help', '--version'].includes(flag) ? [] : ['1'];
      try {
        parseCommand(['serve', 'm.onnx', flag, ...value, ...(flag === '--max-batch-size' ? ['--batch'] : [])]);
      } catch (error) {
        expect((error as Error).message).toContain(flag);
        expect((error as Error).message).not.toContain('Unknown option');
      }
    }
  });
});
