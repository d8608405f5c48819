import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.js';

const SERVER_JS = fileURLToPath(new URL('../playground/server.js', import.meta.url));

// What `npm start` runs after building: the demo server, serving the built playground.
test('the main job serves the playground, and the page talks to it', async ({ page }) => {
  const child = spawn(process.execPath, [SERVER_JS], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const match = /crowdserve playground: (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`server.js exited (${code}) before listening:\n${output}`)));
    });

    const response = await page.goto(`${url}/?model=none`);
    expect(response?.status(), 'GET / serves the built playground').toBe(200);
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    const remote = page.locator('#remote');
    await expect(remote.locator('.settings [data-setting="/ocr"]')).toBeVisible();
    await remote.getByLabel('Endpoint').selectOption('/predict');
    await remote.getByLabel('Text').fill('it works');
    await remote.getByRole('button', { name: 'Submit' }).click();
    await expect(remote.locator('.result')).toHaveText('IT WORKS');
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code, `server.js exits cleanly on SIGTERM:\n${output}`).toBe(0);
  }
});
