import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { Sample } from './extract.js';

/** Where a sample lies on disk for the compiler: inside the repository, so `@crowdserve/*` resolve as a user's would. */
export interface SampleFile {
  sample: Sample;
  path: string;
  /** Lines of prelude before the sample's own code. */
  offset: number;
}

/** Declarations a bundler gives a page: `import url from './x.onnx?url'`. */
const BUNDLER_ENV = "declare module '*?url' {\n  const url: string;\n  export default url;\n}\n";

const COMMON: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  allowJs: true,
  checkJs: true,
};

/** Node samples resolve as ESM under Node's rules; browser ones as a bundler (Vite) would. */
const NODE: ts.CompilerOptions = {
  ...COMMON,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};
const BROWSER: ts.CompilerOptions = {
  ...COMMON,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
};

/** Writes every sample to `dir` (emptied first) as a module of its own. */
export function writeSamples(samples: readonly Sample[], dir: string): SampleFile[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bundler-env.d.ts'), BUNDLER_ENV);
  return samples.map((sample) => {
    const slug = sample.readme.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
    const browser = sample.flags.has('browser');
    const ext = sample.lang === 'ts' ? (browser ? 'ts' : 'mts') : 'mjs';
    const path = join(dir, `${slug}-${sample.line}.${ext}`);
    // `export {}` keeps a block without imports a module, as every sample is meant to be.
    const prelude = sample.prelude === '' ? '' : `${sample.prelude.replace(/\n$/, '')}\n`;
    writeFileSync(path, `${prelude}${sample.code}\nexport {};\n`);
    return { sample, path, offset: prelude === '' ? 0 : prelude.split('\n').length - 1 };
  });
}

/** Type-checks the samples strictly; returns one line per problem, pointing into the README. */
export function typeCheck(files: readonly SampleFile[], dir: string): string[] {
  const problems: string[] = [];
  for (const [options, group] of [
    [NODE, files.filter((f) => !f.sample.flags.has('browser'))],
    [BROWSER, files.filter((f) => f.sample.flags.has('browser'))],
  ] as const) {
    if (group.length === 0) continue;
    const roots = group.map((f) => f.path);
    if (options === BROWSER) roots.push(join(dir, 'bundler-env.d.ts'));
    const program = ts.createProgram(roots, options);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) problems.push(describe(diagnostic, group));
  }
  return problems;
}

function describe(diagnostic: ts.Diagnostic, files: readonly SampleFile[]): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const file = files.find((f) => f.path === diagnostic.file?.fileName);
  if (file === undefined || diagnostic.file === undefined || diagnostic.start === undefined) return text;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const where = line < file.offset ? 'prelude' : String(file.sample.line + line - file.offset);
  return `${file.sample.readme}:${where}: ${text}`;
}
