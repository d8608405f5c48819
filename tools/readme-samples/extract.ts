/** One code block of a README, ready to check: its source with any prelude, and where it came from. */
export interface Sample {
  /** The README's path, relative to the repository root. */
  readme: string;
  /** 1-based line of the block's first code line in the README. */
  line: number;
  lang: 'ts' | 'js';
  /** Words after the language in the fence: `browser` (checked as a bundled page), `node` (also run). */
  flags: ReadonlySet<string>;
  /** Code hidden from readers that the block needs to compile (`<!-- prelude … -->` just above it). */
  prelude: string;
  code: string;
}

const LANGS: Record<string, Sample['lang']> = { ts: 'ts', typescript: 'ts', js: 'js', mjs: 'js', javascript: 'js' };
const KNOWN_FLAGS = new Set(['browser', 'node', 'continued']);
const PRELUDE = /^<!--\s*prelude\s*\n([\s\S]*?)-->\s*$/;

/**
 * The TypeScript and JavaScript blocks of one README. A block whose fence says `continued` is joined to the
 * block before it (a sample told in two steps); an HTML comment `<!-- prelude … -->` right above a fence holds
 * declarations the block needs but a reader does not (the host loop's `sockets`, say). Other languages (sh)
 * are left alone. Throws on a flag it does not know, so a typo cannot turn a check off.
 */
export function extractSamples(readme: string, text: string): Sample[] {
  const lines = text.split('\n');
  const samples: Sample[] = [];
  let pendingPrelude = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('<!--') && /^<!--\s*prelude\b/.test(line)) {
      const end = lines.findIndex((l, j) => j >= i && l.trimEnd().endsWith('-->'));
      if (end < 0) throw new Error(`${readme}:${i + 1}: unterminated prelude comment`);
      const match = PRELUDE.exec(lines.slice(i, end + 1).join('\n'));
      if (match === null) throw new Error(`${readme}:${i + 1}: a prelude is "<!-- prelude", code lines, "-->"`);
      pendingPrelude = match[1] ?? '';
      i = end;
      continue;
    }
    const fence = /^(`{3,})(\S*)\s*(.*)$/.exec(line);
    if (fence === null) {
      if (line.trim() !== '') pendingPrelude = '';
      continue;
    }
    const [, ticks = '```', info = '', rest = ''] = fence;
    const close = lines.findIndex((l, j) => j > i && l.startsWith(ticks) && l.trim() === ticks);
    if (close < 0) throw new Error(`${readme}:${i + 1}: unterminated code fence`);
    const lang = LANGS[info];
    if (lang !== undefined) {
      const flags = new Set(rest.split(/\s+/).filter(Boolean));
      for (const flag of flags) {
        if (!KNOWN_FLAGS.has(flag)) throw new Error(`${readme}:${i + 1}: unknown sample flag "${flag}"`);
      }
      const code = lines.slice(i + 1, close).join('\n');
      const previous = samples.at(-1);
      if (flags.has('continued')) {
        if (previous === undefined) throw new Error(`${readme}:${i + 1}: "continued" needs a block before it`);
        previous.code += `\n${code}`;
      } else {
        samples.push({ readme, line: i + 2, lang, flags, prelude: pendingPrelude, code });
      }
    }
    pendingPrelude = '';
    i = close;
  }
  return samples;
}
