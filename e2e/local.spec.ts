import { expect, test } from './fixtures.js';

const LOCAL = '#local';

test('the in-browser panel runs jobs in the page, and its knobs restart it', async ({ page }) => {
  await page.goto('/');
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

  await panel.getByLabel('Batching').uncheck();
  await expect(settings.locator('[data-setting="/classify"]')).toContainText('no batching');
});

test('a stampede on the in-browser panel batches requests and serves everyone', async ({ page }) => {
  await page.goto('/');
  const panel = page.locator(LOCAL);
  await panel.getByLabel('Max batch').fill('4');
  await panel.getByLabel('Max batch').press('Enter');
  await expect(panel.locator('.settings [data-setting="/classify"]')).toContainText('batch ≤ 4');
  await panel.getByLabel('Endpoint').selectOption('/classify');
  await panel.getByRole('button', { name: 'Launch stampede' }).click();

  const stampede = panel.getByRole('region', { name: 'stampede' });
  await expect(stampede.getByRole('status')).toHaveText(/^All 30 users served in [\d.]+ (s|ms), after \d+ retries\.$/);
  await expect(stampede.getByRole('list', { name: 'crowd' }).locator('[data-state="done"]')).toHaveCount(30);
  // 30 requests in batches of at most 4: the counter lists sizes, largest first ("4×7, 2×1").
  await expect(stampede.locator('[data-counter="batches"] b')).toHaveText(/^4×\d+/);
});
