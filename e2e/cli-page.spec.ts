// The page `crowdserve serve` shows at `/`, in Chromium: the built CLI spawned on port 0 (as
// `npx crowdserve` runs it) with an app module and with a tiny ONNX model; jobs run and cancelled
// from the page; no console errors (a CSP violation is one). `npx tsc -b` first.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { doubleModel } from '../packages/onnx/test-fixtures/tiny-models.js';
import { killLeftovers, serverUrl, spawnCli, type Spawned } from '../packages/cli/test/cli-test-utils.js';

const APP = `export const endpoints = {
  '/echo': { inputs: [{ label: 'text', type: 'string' }], outputs: [{ label: 'text', type: 'string' }], fn: async ([text]) => [text] },
  '/count': {
    inputs: [{ label: 'n', type: 'number' }],
    outputs: [{ label: 'i', type: 'number' }],
    fn: async function* ([n], { progress }) {
      for (let i = 1; i <= n; i++) {
        progress({ index: i, length: n, unit: 'steps' });
        yield [i];
      }
    },
  },
  // Runs until its caller leaves: keeps the one slot busy for as long as the test needs.
  '/hold': {
    inputs: [{ label: 'text', type: 'string' }],
    fn: (_data, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(['left']))),
  },
};
`;

let dir: string;
const clis: Spawned[] = [];

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crowdserve-cli-page-'));
  await writeFile(join(dir, 'app.mjs'), APP);
  await writeFile(join(dir, 'double.onnx'), doubleModel());
});
test.afterEach(async () => {
  for (const cli of clis.splice(0)) {
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }
  killLeftovers();
});
test.afterAll(() => rm(dir, { recursive: true, force: true }));

async function start(args: string[]): Promise<string> {
  const cli = spawnCli(['serve', ...args, '--port', '0'], dir);
  clis.push(cli);
  return serverUrl(cli);
}

/** Collects what would show in the console as an error or warning, and anything thrown in the page. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  return problems;
}

test('an app: run from the page, watch it queue, stream and finish, cancel a running job', async ({ page }) => {
  const url = await start(['app.mjs']);
  const problems = watchConsole(page);
  await page.goto(url);
  await expect(page.locator('#summary')).toHaveText('3 endpoint(s), 1 slot(s), queue unbounded');

  const echo = page.locator('#endpoint-echo');
  await echo.getByLabel('text').fill('hello');
  await echo.getByRole('button', { name: 'Run' }).click();
  await expect(echo.locator('.status')).toHaveText(/^done in /);
  await expect(echo.locator('.output')).toHaveText(JSON.stringify(['hello'], null, 2));

  const count = page.locator('#endpoint-count');
  await count.getByLabel('n').fill('3');
  await count.getByRole('button', { name: 'Run' }).click();
  await expect(count.locator('.status')).toHaveText(/^done in /);
  await expect(count.locator('.output')).toHaveText(JSON.stringify([3], null, 2));

  // The slot held: the next job waits first in line, and runs once the held one is cancelled.
  const hold = page.locator('#endpoint-hold');
  await hold.getByLabel('text').fill('x');
  await hold.getByRole('button', { name: 'Run' }).click();
  await expect(hold.locator('.status')).toHaveText(/^running/);
  await echo.getByLabel('text').fill('second');
  await echo.getByRole('button', { name: 'Run' }).click();
  await expect(echo.locator('.status')).toHaveText(/^queued: 1 of 1/);
  await hold.getByRole('button', { name: 'Cancel' }).click();
  await expect(hold.locator('.status')).toHaveText(/^failed \(CANCELLED\)/);
  await expect(hold.getByRole('button', { name: 'Run' })).toBeEnabled();
  await expect(echo.locator('.status')).toHaveText(/^done in /);
  await expect(echo.locator('.output')).toHaveText(JSON.stringify(['second'], null, 2));

  // Bad JSON is refused on the page, before anything is sent.
  await count.getByLabel('n').fill('');
  await count.getByRole('button', { name: 'Run' }).click();
  await expect(count.locator('.status')).toHaveText('bad input: n: expected a number');
  expect(problems).toEqual([]);
});

test("a model: the input says the model's shape, and a tensor runs through it", async ({ page }) => {
  const url = await start(['double.onnx']);
  const problems = watchConsole(page);
  await page.goto(url);
  const predict = page.locator('#endpoint-predict');
  await expect(predict.locator('label')).toContainText('float32[N, M] (batch axis first)');
  await predict.getByLabel('x').fill('[[1, 2.5]]');
  await predict.getByRole('button', { name: 'Run' }).click();
  await expect(predict.locator('.status')).toHaveText(/^done in /);
  await expect(predict.locator('.output')).toHaveText(JSON.stringify([[[2, 5]]], null, 2));

  await predict.getByLabel('x').fill('[[1], [2, 3]]');
  await predict.getByRole('button', { name: 'Run' }).click();
  await expect(predict.locator('.status')).toHaveText(/^failed \(.*x: expected a rectangular nested array/);
  expect(problems).toEqual([]);
});
