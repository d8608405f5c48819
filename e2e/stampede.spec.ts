import { expect, test, UNTIL_TEST_TIMEOUT } from './fixtures.js';

// Two slots and room for only four waiting: a crowd of 30 overflows the remote queue and must retry.
test.use({ serverOptions: { concurrencyCount: 2, maxSize: 4 } });

test('stampedes of 30 users: the remote queue overflows, users retry, and everyone is served', async ({
  page,
}, testInfo) => {
  // Two crowds, a model loading and full-page screenshots: on two shared cores this takes a while.
  test.slow();
  // The in-browser panel runs Silero VAD on WASM in two Web Workers, for its own stampede.
  await page.goto('/?model=vad&backend=wasm&workers=2&batch=4&queue=20');
  const remote = page.locator('#remote');
  const local = page.locator('#local');
  await expect(local.locator('[data-provider]')).toHaveText('WASM', UNTIL_TEST_TIMEOUT);

  // Five-second clips keep the local crowd busy long enough to be seen mid-stampede.
  await local.getByLabel('clip length').selectOption('5');
  await remote.getByLabel('Endpoint').selectOption('/predict');
  await expect(remote.getByLabel('Users')).toHaveValue('30');
  await local.getByRole('button', { name: 'Launch stampede' }).click();
  await remote.getByRole('button', { name: 'Launch stampede' }).click();

  const stampede = remote.getByRole('region', { name: 'stampede' });
  const crowd = stampede.getByRole('list', { name: 'crowd' });
  await expect(crowd.getByRole('listitem')).toHaveCount(30);
  // Users turned away by a full queue show their countdown to the next try.
  const retrying = crowd.locator('[data-state="retrying"]');
  await expect(retrying.first()).toBeVisible();
  await expect(retrying.filter({ hasText: /^\d+\.\d$/ }).first()).toBeVisible();
  await expect(crowd.locator('[data-state="waiting"]').first()).toHaveText(/^[1-4]$/);
  await expect(stampede.locator('[data-counter="running"] b')).toHaveText(/^[12]$/);
  // The server's own count, out of its concurrencyCount (jobs and slots differ when they batch).
  await expect(stampede.locator('[data-counter="slots"] b')).toHaveText(/^[12]\/2$/);

  // Both crowds mid-stampede: the whole page first, while both are surely still busy.
  await page.screenshot({ path: testInfo.outputPath('playground.png'), fullPage: true });
  // `PLAYGROUND_SCREENSHOT=docs/playground.png npx playwright test stampede` (alone, so the CPU is free
  // and both crowds are caught mid-way) refreshes the README's picture.
  if (process.env.PLAYGROUND_SCREENSHOT) {
    await page.screenshot({ path: process.env.PLAYGROUND_SCREENSHOT, fullPage: true });
  }
  await remote.screenshot({ path: testInfo.outputPath('remote-stampede.png') });
  await local.screenshot({ path: testInfo.outputPath('local-stampede.png') });

  const served = /^All 30 users served in [\d.]+ (s|ms), after \d+ retries\.$/;
  await expect(stampede.getByRole('status')).toHaveText(served, UNTIL_TEST_TIMEOUT);
  await expect(crowd.locator('[data-state="done"]')).toHaveCount(30);
  await expect(stampede.locator('[data-counter="failed"] b')).toHaveText('0');
  expect(Number(await stampede.locator('[data-counter="retries"] b').textContent())).toBeGreaterThan(0);

  const localStampede = local.getByRole('region', { name: 'stampede' });
  await expect(localStampede.getByRole('status')).toHaveText(served, UNTIL_TEST_TIMEOUT);
  // VAD requests batch together: the largest batch seen has more than one clip.
  await expect(localStampede.locator('[data-counter="batches"] b')).toHaveText(/^[234]×\d+/);
});
