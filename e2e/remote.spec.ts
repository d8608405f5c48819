import { expect, PAGE_WITHOUT_MODELS, readEta, test } from './fixtures.js';

// One slot, so a job from the page waits behind the slot the test holds.
test.use({ serverOptions: { concurrencyCount: 1, maxSize: 10 }, hold: true });

const REMOTE = '#remote';

test('shows the server settings', async ({ page }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const settings = page.locator(`${REMOTE} .settings`);
  await expect(settings.locator('[data-setting="concurrencyCount"]')).toContainText('1');
  await expect(settings.locator('[data-setting="maxSize"]')).toContainText('10');
  await expect(settings.locator('[data-setting="/classify"]')).toContainText('batch ≤ 8');
});

test('a submitted job shows its position and ETA, then its result', async ({ page, holdSlot }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  const hold = await holdSlot();
  await panel.getByLabel('Endpoint').selectOption('/predict');
  await panel.getByLabel('Text').fill('hello crowd');
  await panel.getByRole('button', { name: 'Submit' }).click();

  const status = panel.getByRole('status').first();
  await expect(status).toContainText('Waiting: position 1 of 1');
  await expect(status.locator('[data-eta]')).toHaveText(/^\d+(\.\d)? s$/);

  hold.release();
  await expect(status).toContainText(/Done in [\d.]+ (s|ms) \(ran [\d.]+ (s|ms)\)/);
  await expect(panel.locator('.result')).toHaveText('HELLO CROWD');
});

test('the ETA counts down between server updates', async ({ page, holdSlot }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  await holdSlot();
  await panel.getByLabel('Endpoint').selectOption('/predict');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.getByRole('status').first()).toContainText('position 1 of 1');

  // Nothing moves in the queue while the slot is held, so the server sends no new estimate:
  // any change in the displayed ETA is the page counting down to `etaAt` on its own.
  const first = await readEta(page, REMOTE);
  // Waits for the displayed ETA to drop, however long a loaded machine takes, then checks no update came.
  await expect.poll(async () => (await readEta(page, REMOTE)).seconds, { timeout: 10_000 }).toBeLessThan(first.seconds);
  const second = await readEta(page, REMOTE);
  expect(second.updates, 'no server update in between').toBe(first.updates);
});

test('cancel from the page removes the job from the server queue', async ({ page, holdSlot, request }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  await holdSlot();
  await panel.getByLabel('Endpoint').selectOption('/predict');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.getByRole('status').first()).toContainText('position 1 of 1');
  const queueSize = async () =>
    ((await (await request.get('/queue/status')).json()) as { queue_size: number }).queue_size;
  expect(await queueSize()).toBe(1);

  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByRole('status').first()).toHaveText('Cancelled.');
  await expect.poll(queueSize).toBe(0);
  await expect(panel.locator('[data-live]')).toHaveText('queue: 0 waiting');
});

test('a server that cannot be reached gets a clear message', async ({ page }) => {
  // The page loads, then every API call fails, as when the server went away after serving it.
  await page.route(/\/(config|info|queue\/status)$/, (route) => route.abort('connectionrefused'));
  await page.goto(PAGE_WITHOUT_MODELS);
  const alert = page.locator(REMOTE).getByRole('alert');
  await expect(alert).toContainText('Cannot reach the queue server');
  await expect(alert).toContainText('npm start');
  await expect(page.locator(`${REMOTE} [data-live]`)).toHaveText('server unreachable');

  await page.unroute(/\/(config|info|queue\/status)$/);
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(page.locator(`${REMOTE} .settings`)).toBeVisible();
});

test('the dialect switch reconnects over sse_v3, and a job runs on the session stream', async ({
  page,
  holdSlot,
  request,
}) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  await expect(panel.locator('.settings')).toBeVisible();
  // Every WebSocket the page opens from here on: none may be a job's once sse_v3 is picked.
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));

  await panel.getByLabel('Dialect').selectOption('sse_v3');
  await expect(panel.locator('.lead')).toContainText('sse_v3');
  await expect(panel.locator('.settings')).toBeVisible();

  const hold = await holdSlot();
  await panel.getByLabel('Endpoint').selectOption('/predict');
  await panel.getByLabel('Text').fill('over sse');
  const joined = page.waitForResponse((r) => r.url().endsWith('/gradio_api/queue/join') && r.status() === 200);
  const stream = page.waitForRequest((r) => r.url().includes('/gradio_api/queue/data?session_hash='));
  await panel.getByRole('button', { name: 'Submit' }).click();
  await joined;
  await stream;

  const status = panel.getByRole('status').first();
  await expect(status).toContainText('Waiting: position 1 of 1');
  await expect(status.locator('[data-eta]')).toHaveText(/^\d+(\.\d)? (s|ms)$/);
  const queueSize = async () =>
    ((await (await request.get('/queue/status')).json()) as { queue_size: number }).queue_size;
  expect(await queueSize()).toBe(1);

  hold.release();
  await expect(status).toContainText(/Done in [\d.]+ (s|ms) \(ran [\d.]+ (s|ms)\)/);
  await expect(panel.locator('.result')).toHaveText('OVER SSE');
  expect(sockets.filter((url) => url.includes('/queue/join'))).toEqual([]);
});

test('cancel over sse_v3 removes the job from the server queue', async ({ page, holdSlot, request }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  await panel.getByLabel('Dialect').selectOption('sse_v3');
  await expect(panel.locator('.settings')).toBeVisible();
  await holdSlot();
  await panel.getByLabel('Endpoint').selectOption('/predict');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.getByRole('status').first()).toContainText('position 1 of 1');
  const queueSize = async () =>
    ((await (await request.get('/queue/status')).json()) as { queue_size: number }).queue_size;
  expect(await queueSize()).toBe(1);

  const cancelled = page.waitForResponse((r) => r.url().endsWith('/gradio_api/cancel'));
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await cancelled;
  await expect(panel.getByRole('status').first()).toHaveText('Cancelled.');
  await expect.poll(queueSize).toBe(0);
});
