import { expect, PAGE_WITHOUT_MODELS, test } from './fixtures.js';

// The server hosts the demo's real models (PP-OCRv4, Silero VAD) in worker threads.
test.use({ models: true });

const REMOTE = '#remote';

test('remote OCR reads back the line of text typed on the page', async ({ page }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  await panel.getByLabel('Endpoint').selectOption('/ocr');
  await panel.getByLabel('Text to draw').fill('Queue 42 ready');
  await panel.getByRole('button', { name: 'Submit' }).click();

  await expect(panel.getByRole('status').first()).toContainText('Done in');
  await expect(panel.locator('.result output')).toHaveText('“Queue 42 ready”');
});

test('remote VAD finds speech in the voice-like clip and none in silence', async ({ page }) => {
  await page.goto(PAGE_WITHOUT_MODELS);
  const panel = page.locator(REMOTE);
  await panel.getByLabel('Endpoint').selectOption('/vad');
  await panel.getByLabel('Audio clip').selectOption('voice');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.locator('.result output')).toHaveText(/^Speech: [\d.]+–[\d.]+ s/);

  await panel.getByLabel('Audio clip').selectOption('silence');
  await panel.getByRole('button', { name: 'Submit' }).click();
  await expect(panel.locator('.result output')).toHaveText('No speech found.');
});
