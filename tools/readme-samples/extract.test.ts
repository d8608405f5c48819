import { describe, expect, it } from 'vitest';
import { extractSamples } from './extract.js';

const md = (...lines: string[]): string => lines.join('\n');

describe('extractSamples', () => {
  it('takes ts and js blocks with their first line, and leaves shell blocks alone', () => {
    const samples = extractSamples(
      'README.md',
      md('# t', '```sh', 'npm test', '```', '', '```ts', 'const a = 1;', '```', '```js node', 'console.log(1);', '```'),
    );
    expect(samples.map((s) => [s.lang, s.line, s.code, [...s.flags]])).toEqual([
      ['ts', 7, 'const a = 1;', []],
      ['js', 10, 'console.log(1);', ['node']],
    ]);
  });

  it('joins a continued block to the one before it', () => {
    const samples = extractSamples('R.md', md('```ts', 'const a = 1;', '```', 'Then:', '```ts continued', 'a;', '```'));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.code).toBe('const a = 1;\na;');
  });

  it('gives a block the prelude comment right above it, and only that block', () => {
    const samples = extractSamples(
      'R.md',
      md('<!-- prelude', 'declare const x: number;', '-->', '```ts', 'x;', '```', '```ts', 'const y = 2;', '```'),
    );
    expect(samples.map((s) => s.prelude)).toEqual(['declare const x: number;\n', '']);
  });

  it('drops a prelude that text separates from the fence', () => {
    const samples = extractSamples('R.md', md('<!-- prelude', 'let x;', '-->', 'words', '```ts', 'x;', '```'));
    expect(samples[0]?.prelude).toBe('');
  });

  it('refuses an unknown flag, an unterminated fence and a continued block with nothing before it', () => {
    expect(() => extractSamples('R.md', md('```ts nodee', 'x', '```'))).toThrow('R.md:1: unknown sample flag "nodee"');
    expect(() => extractSamples('R.md', md('```ts', 'x'))).toThrow('R.md:1: unterminated code fence');
    expect(() => extractSamples('R.md', md('```ts continued', 'x', '```'))).toThrow('needs a block before it');
  });
});
