import { fileURLToPath } from 'node:url';
import { test as base, expect, type Page } from '@playwright/test';
import { connect, type App } from '@crowdserve/client';
import { serve, type EndpointDefinition, type Server, type ServeOptions } from '@crowdserve/server/node';
import { demoEndpoints } from '../playground/demo-endpoints.js';

/** The built playground (e2e/global-setup.ts builds it). No trailing slash: the static handler compares paths. */
const STATIC_DIR = fileURLToPath(new URL('../playground/dist', import.meta.url));

/** Console messages that are known noise, not failures (ORT's warnings about its own choices). */
const KNOWN_CONSOLE_NOISE = [/onnxruntime/i, /\[W:onnxruntime/, /VerifyEachNodeIsAssignedToAnEp/, /powerPreference/];

type ServerOptions = Omit<Partial<ServeOptions>, 'endpoints' | 'staticDir' | 'port' | 'host'>;

/** Slots held by {@link holdSlot}; released at the end of each test. */
const held = new Set<() => void>();

/**
 * `/hold` runs until the test releases it (or its client leaves): it keeps a slot busy, so a job
 * submitted from the page waits at a known position for as long as the test needs.
 */
const holdEndpoint: EndpointDefinition = {
  inputs: [{ label: 'text', type: 'string' }],
  outputs: [{ label: 'text', type: 'string' }],
  expectedDurationMs: 30_000,
  fn: async (_data, { signal }) => {
    await new Promise<void>((resolve) => {
      held.add(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return ['released'];
  },
};

export interface Hold {
  /** Lets the held job finish, freeing its slot. */
  release(): void;
}

interface TestFixtures {
  /** Occupies one slot of the server with a `/hold` job (from Node), until released or the test ends. */
  holdSlot: () => Promise<Hold>;
  /** A Node client of the test's server. */
  nodeApp: App;
}

interface WorkerFixtures {
  /** Queue settings of this file's server: `test.use({ serverOptions: { maxSize: 4 } })`. */
  serverOptions: ServerOptions;
  /** Whether this file's server hosts the demo's ONNX models (`/ocr`, `/vad`); they take seconds to load. */
  models: boolean;
  /** Whether this file's server has the test-only `/hold` endpoint that {@link TestFixtures.holdSlot} uses. */
  hold: boolean;
  server: Server;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  serverOptions: [{}, { option: true, scope: 'worker' }],
  models: [false, { option: true, scope: 'worker' }],
  hold: [false, { option: true, scope: 'worker' }],
  server: [
    async ({ serverOptions, models, hold }, use) => {
      const server = await serve({
        port: 0,
        host: '127.0.0.1',
        concurrencyCount: 2,
        maxSize: 20,
        title: 'crowdserve playground (e2e)',
        ...serverOptions,
        staticDir: STATIC_DIR,
        endpoints: { ...(await demoEndpoints({ models })), ...(hold ? { '/hold': holdEndpoint } : {}) },
      });
      await use(server);
      for (const release of held) release();
      await server.close();
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ server }, use) => use(server.url),

  page: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}\n${error.stack ?? ''}`));
    page.on('console', (message) => {
      if (message.type() !== 'error' && message.type() !== 'warning') return;
      if (KNOWN_CONSOLE_NOISE.some((pattern) => pattern.test(message.text()))) return;
      consoleErrors.push(`${message.type()}: ${message.text()}`);
    });
    await use(page);
    if (consoleErrors.length > 0) {
      await testInfo.attach('console', { body: consoleErrors.join('\n'), contentType: 'text/plain' });
    }
    // Any exception or unhandled rejection in the page fails the test, whatever it asserted.
    expect(errors, 'errors thrown in the page').toEqual([]);
  },

  nodeApp: async ({ server }, use) => {
    const app = await connect(server.url);
    await use(app);
    app.close();
  },

  holdSlot: async ({ nodeApp, server, hold }, use) => {
    await use(async () => {
      if (!hold) throw new Error('holdSlot needs the /hold endpoint: test.use({ hold: true })');
      const before = held.size;
      const job = nodeApp.submit('/hold', ['hold']);
      job.result.catch(() => undefined);
      await expect.poll(() => held.size, { message: '/hold started' }).toBeGreaterThan(before);
      const release = [...held].at(-1);
      return {
        release: () => {
          release?.();
          if (release !== undefined) held.delete(release);
        },
      };
    });
    for (const release of held) release();
    held.clear();
    // The next test starts with an idle server.
    await expect.poll(() => server.stats().running, { message: 'server idle after the test' }).toBe(0);
  },
});

export { expect };

/**
 * The page with the in-browser panel on plain JS endpoints: specs of the remote panel need no
 * model loading in the background (on a CPU-only WebGPU adapter it takes many seconds).
 */
export const PAGE_WITHOUT_MODELS = '/?model=none';

/** The number a status line's ETA shows, in seconds (`2.4 s`, `350 ms`). */
export async function readEta(page: Page, panel: string): Promise<{ seconds: number; updates: number }> {
  const status = page.locator(`${panel} .status`);
  const [text, updates] = await Promise.all([
    status.locator('[data-eta]').textContent(),
    status.getAttribute('data-updates'),
  ]);
  const match = /^([\d.]+) (s|ms)$/.exec(text ?? '');
  if (match === null) throw new Error(`expected an ETA like "2.4 s", got ${JSON.stringify(text)}`);
  const value = Number(match[1]);
  return { seconds: match[2] === 'ms' ? value / 1000 : value, updates: Number(updates) };
}

/**
 * Expect options for a wait that may take long on a busy machine (a model loading in Web Workers, a
 * crowd being served): no expect timeout of its own, so it waits for the page's event for as long as
 * the test's timeout allows (use it in a `test.slow()` test).
 */
export const UNTIL_TEST_TIMEOUT = { timeout: 0 } as const;
