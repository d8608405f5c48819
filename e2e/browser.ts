import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { DEBIAN_CHROMIUM } from './chromium-args.js';

export { CHROMIUM_ARGS, CHROMIUM_ARGS_NO_WEBGPU, DEBIAN_CHROMIUM } from './chromium-args.js';

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
