import { expect, PAGE_WITHOUT_MODELS, test, UNTIL_TEST_TIMEOUT } from './fixtures.js';

const LOCAL = '#local';
// Loading onnxruntime-web and a model in Web Workers takes 15–35 s on a quiet 2-core machine and over a
// minute on a busy one: those tests are `test.slow()`, and wait for the model with UNTIL_TEST_TIMEOUT.

test('the in-browser panel runs plain JS endpoints, and its knobs restart it', async ({ page }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(LOCAL);
  await expect(panel.locator('[data-provider]')).toHaveText('plain JS');

  await panel.getByLabel('Endpoint').selectOption('/classify');
  await panel.getByLabel('Text').fill('I love fast queues');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.getByRole('status').first()).toContainText('Done in');
  await expect(panel.locator('.result')).toHaveText('positive');

  await panel.getByLabel('Workers').fill('3');
  await panel.getByLabel('Workers').press('Enter');
  await panel.getByLabel('Max batch').fill('4');
  await panel.getByLabel('Max batch').press('Enter');
  const settings = panel.locator('.settings');
  await expect(settings.locator('[data-setting="concurrencyCount"]')).toContainText('3');
  await expect(settings.locator('[data-setting="/classify"]')).toContainText('batch ≤ 4');
  // The knobs are in the URL, so the setup can be shared as a link.
  await expect(page).toHaveURL(/workers=3.*batch=4/);

  await panel.getByLabel('Batching').uncheck();
  await expect(settings.locator('[data-setting="/classify"]')).toContainText('no batching');
});

test('a stampede on the in-browser panel batches requests and serves everyone', async ({ page }) => {
  await page.goto(`${PAGE_WITHOUT_MODELS}&batch=4`);
  const panel = page.locator(LOCAL);
  await expect(panel.locator('.settings [data-setting="/classify"]')).toContainText('batch ≤ 4');
  await panel.getByLabel('Endpoint').selectOption('/classify');
  await panel.getByRole('button', { name: 'Launch stampede' }).click();

  const stampede = panel.getByRole('region', { name: 'stampede' });
  await expect(stampede.getByRole('status')).toHaveText(/^All 30 users served in [\d.]+ (s|ms), after \d+ retries\.$/);
  await expect(stampede.getByRole('list', { name: 'crowd' }).locator('[data-state="done"]')).toHaveCount(30);
  // 30 requests in batches of at most 4: the counter lists sizes, largest first ("4×7, 2×1").
  await expect(stampede.locator('[data-counter="batches"] b')).toHaveText(/^4×\d+/);
});

test('Silero VAD runs in a Web Worker on WASM', async ({ page }) => {
  test.slow();
  await page.goto('/?model=vad&backend=wasm&workers=1');
  const panel = page.locator(LOCAL);
  await expect(panel.locator('[data-provider]')).toHaveText('WASM', UNTIL_TEST_TIMEOUT);
  await expect(panel.locator('.settings [data-setting="/vad"]')).toContainText('wasm');
  await panel.getByLabel('Audio clip').selectOption('voice');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.locator('.result output')).toHaveText(/^Speech: [\d.]+–[\d.]+ s/, UNTIL_TEST_TIMEOUT);
});

test('Silero VAD in 3 workers fetches the model and the WASM once, with a progress bar', async ({ page }) => {
  test.slow();
  const fetched: string[] = [];
  page.on('request', (request) => {
    const file = new URL(request.url()).pathname.split('/').at(-1) ?? '';
    if (/\.(onnx|wasm)$/.test(file)) fetched.push(file.replace(/-[\w-]{8}(?=\.\w+$)/, ''));
  });
  await page.goto('/?model=vad&backend=wasm&workers=3');
  const panel = page.locator(LOCAL);
  const bar = panel.getByRole('progressbar', { name: 'model load' });
  await expect(bar).toBeVisible();
  await expect(panel.locator('[data-provider]')).toHaveText('WASM', UNTIL_TEST_TIMEOUT);
  await expect(panel.locator('.settings [data-setting="concurrencyCount"]')).toContainText('3');
  // Vite names each file with a content hash (silero_vad_v6-AbC123xy.onnx): the hash is cut off above.
  expect(fetched.sort()).toEqual(['ort-wasm-simd-threaded.jsep.wasm', 'silero_vad_v6.onnx']);
  await panel.getByLabel('Audio clip').selectOption('voice');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.locator('.result output')).toHaveText(/^Speech: [\d.]+–[\d.]+ s/, UNTIL_TEST_TIMEOUT);
});

test('Silero VAD runs on WebGPU where the browser has an adapter', async ({ page }) => {
  // `--enable-unsafe-webgpu` gives a CPU adapter (SwiftShader): correct, slow, so a short clip.
  test.slow();
  await page.goto('/?model=vad&backend=webgpu&workers=1');
  const panel = page.locator(LOCAL);
  await expect(panel.locator('[data-provider]')).toHaveText('WebGPU', UNTIL_TEST_TIMEOUT);
  await panel.getByLabel('clip length').selectOption('0.25');
  await panel.getByLabel('Audio clip').selectOption('silence');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.locator('.result output')).toHaveText('No speech found.', UNTIL_TEST_TIMEOUT);
});

test('a model that cannot be loaded gets a clear message', async ({ page }) => {
  test.slow();
  await page.route(/\.onnx$/, (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto('/?model=vad&backend=wasm&workers=1');
  const alert = page.locator(LOCAL).getByRole('alert');
  await expect(alert).toContainText('The model failed to load', UNTIL_TEST_TIMEOUT);
  await expect(page.locator(`${LOCAL} [data-provider]`)).toHaveText('failed');
});

test('without a WebGPU adapter the model falls back to WASM and says so', { tag: '@no-webgpu' }, async ({ page }) => {
  test.slow();
  await page.goto('/?model=vad&backend=auto&workers=1');
  const panel = page.locator(LOCAL);
  await expect(panel.locator('[data-provider]')).toHaveText('WASM', UNTIL_TEST_TIMEOUT);
  await expect(panel.getByRole('note')).toContainText('Fell back to WASM: WebGPU: not available here');
});
