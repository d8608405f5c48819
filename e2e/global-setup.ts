import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Builds what the specs serve: the packages must be built (`npx tsc -b`), the playground is built here. */
// eslint-disable-next-line no-restricted-syntax -- Playwright loads a global setup's default export
export default async function globalSetup(): Promise<void> {
  for (const entry of [
    'packages/server/dist/node/index.js',
    'packages/onnx/dist/node/index.js',
    'packages/client/dist/index.js',
  ]) {
    if (!existsSync(`${root}${entry}`)) throw new Error(`${entry} is missing: build the packages first (npx tsc -b)`);
  }
  await build({
    root: `${root}playground`,
    configFile: `${root}playground/vite.config.ts`,
    logLevel: 'warn',
  });
}
