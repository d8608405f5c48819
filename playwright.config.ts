import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_ARGS_NO_WEBGPU, chromiumPath } from './e2e/browser.js';

// The page, a real server and a real browser. Each spec file gets its own server (a worker-scoped
// fixture, see e2e/fixtures.ts), so files with different queue settings run side by side.
const executablePath = chromiumPath();

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  forbidOnly: true,
  workers: 2,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    launchOptions: { executablePath, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
  },
  projects: [
    { name: 'chromium', grepInvert: /@no-webgpu/ },
    {
      // The same browser without `--enable-unsafe-webgpu`: no adapter, so the WASM fallback shows.
      name: 'chromium-no-webgpu',
      grep: /@no-webgpu/,
      use: { launchOptions: { executablePath, args: CHROMIUM_ARGS_NO_WEBGPU } },
    },
  ],
});
