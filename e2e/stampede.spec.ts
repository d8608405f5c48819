import { expect, test } from './fixtures.js';

// Two slots and room for only four waiting: a crowd of 30 overflows the queue and must retry.
test.use({ serverOptions: { concurrencyCount: 2, maxSize: 4 } });

test('a stampede of 30 users overflows the queue, retries, and every user is served', async ({ page }, testInfo) => {
  await page.goto('/');
  const panel = page.locator('#remote');
  await panel.getByLabel('Endpoint').selectOption('/predict');
  await expect(panel.getByLabel('Users')).toHaveValue('30');
  await panel.getByRole('button', { name: 'Launch stampede' }).click();

  const stampede = panel.getByRole('region', { name: 'stampede' });
  const crowd = stampede.getByRole('list', { name: 'crowd' });
  await expect(crowd.getByRole('listitem')).toHaveCount(30);
  // Users turned away by a full queue show their countdown to the next try.
  const retrying = crowd.locator('[data-state="retrying"]');
  await expect(retrying.first()).toBeVisible();
  await expect(retrying.first()).toHaveText(/^\d+\.\d$/);
  await expect(crowd.locator('[data-state="waiting"]').first()).toHaveText(/^[1-4]$/);
  await expect(stampede.locator('[data-counter="running"] b')).toHaveText(/^[12]$/);
  await panel.screenshot({ path: testInfo.outputPath('remote-stampede.png') });

  await expect(stampede.getByRole('status')).toHaveText(/^All 30 users served in [\d.]+ s, after \d+ retries\.$/, {
    timeout: 45_000,
  });
  await expect(crowd.locator('[data-state="done"]')).toHaveCount(30);
  await expect(stampede.locator('[data-counter="failed"] b')).toHaveText('0');
  expect(Number(await stampede.locator('[data-counter="retries"] b').textContent())).toBeGreaterThan(0);
});
