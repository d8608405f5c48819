import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** Debian's chromium, where `.ci/run` installs it. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium's flags for these tests: no sandbox (containers), nothing that phones home, and
 * `--enable-unsafe-webgpu`, which gives a real WebGPU adapter on CPU (SwiftShader) without a GPU.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--enable-unsafe-webgpu',
];

/**
 * Which browser to launch: `CHROMIUM_PATH`, else Debian's chromium, else Playwright's own
 * download (`undefined` lets Playwright find it). Throws saying how to get one when there is none.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== '') {
    if (!existsSync(chosen)) throw new Error(`CHROMIUM_PATH=${chosen}: no such file. Point it at a Chromium binary.`);
    return chosen;
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  if (existsSync(chromium.executablePath())) return undefined;
  throw new Error(
    "The e2e tests need Chromium and found none. Install Debian's (`apt-get install chromium`, as .ci/run does), " +
      "or set CHROMIUM_PATH to a Chromium binary, or download Playwright's own (`npx playwright install chromium`).",
  );
}
