import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_ARGS_NO_WEBGPU, DEBIAN_CHROMIUM } from './e2e/chromium-args.js';

/** Debian's chromium (`.ci/run` installs it); Playwright's own download does not work offline. */
const chromiumPath = process.env.CHROMIUM_PATH ?? DEBIAN_CHROMIUM;

/** DESIGN.md §7 (e2e/chromium-args.js); the no-WebGPU instance also turns the GPU process off. */
const chromiumArgs = CHROMIUM_ARGS;
const noWebGpuArgs = [...CHROMIUM_ARGS_NO_WEBGPU, '--disable-gpu'];

// One config, one project per concern: node unit + integration tests beside the code, and
// browser tests (`*.browser.test.ts`) in real Chromium with real Web Workers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'bench/**/*.test.ts',
            'tools/**/*.test.ts',
            'playground/src/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/*.browser.test.ts'],
          setupFiles: ['tools/vitest/patient-wait-for.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Type tests of the public API (`*.test-d.ts`): tsc checks them, nothing runs.
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['packages/*/src/**/*.test-d.ts'],
            tsconfig: 'tsconfig.test.json',
          },
        },
      },
      {
        worker: { format: 'es' },
        // onnxruntime-web finds its .wasm and worker files next to its own module: pre-bundling would
        // move it. comlink up front, so that a fresh checkout does not re-optimise mid-run.
        optimizeDeps: { include: ['comlink'], exclude: ['onnxruntime-web'] },
        test: {
          name: 'browser',
          // Node side: checks for Chromium (saying how to get one), starts the remote servers that
          // the status tests compare the in-page one with.
          globalSetup: ['packages/server/test/browser-setup.ts'],
          provide: { chromiumPath },
          include: ['packages/*/src/**/*.browser.test.ts'],
          setupFiles: ['tools/vitest/patient-wait-for.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            // A picture of an empty test page helps nobody, and would land beside the sources.
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [
              { browser: 'chromium', exclude: ['**/node_modules/**', '**/*.no-webgpu.browser.test.ts'] },
              {
                // A browser without WebGPU, for the fallback tests: no unsafe flag, no GPU.
                browser: 'chromium',
                name: 'chromium-no-webgpu',
                include: ['packages/*/src/**/*.no-webgpu.browser.test.ts'],
                provider: playwright({ launchOptions: { executablePath: chromiumPath, args: noWebGpuArgs } }),
              },
            ],
          },
        },
      },
    ],
  },
});
