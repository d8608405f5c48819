// One bad request among good ones, through serve() and the real VAD model in a worker thread: the
// bad one is refused alone (its data fails the endpoint's preprocess as it arrives), and the batch
// it would have joined runs for the others. The workers are the built files: `npx tsc -b` first.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serve, type Server } from '../node/serve.js';
import { encodeVadSamples } from './vad.js';
import { vadEndpoint } from './node.js';

let server: Server;
beforeAll(async () => {
  server = await serve({
    port: 0,
    host: '127.0.0.1',
    concurrencyCount: 1,
    apiOpen: true,
    // Long enough that every request sent at once lands in one batch.
    endpoints: { '/vad': vadEndpoint({ batch: true, maxBatchSize: 8, maxBatchDelayMs: 300 }) },
  });
});
afterAll(() => server.close());

const post = (data: unknown[]) =>
  fetch(`${server.url}/run/vad`, { method: 'POST', body: JSON.stringify({ data }) }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { data?: unknown[]; detail?: string },
  }));

it('refuses the bad request alone; the batch runs for the good ones', async () => {
  const tone = Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin(i / 10));
  const [good1, bad, good2, alsoBad] = await Promise.all([
    post([encodeVadSamples(tone)]),
    post(['not base64!']),
    post([encodeVadSamples(tone)]),
    post([[0, 'x']]),
  ]);
  expect(bad).toEqual({
    status: 422,
    body: expect.objectContaining({
      detail: 'VAD: expected [samples] as numbers or as base64 little-endian float32, got a string that is neither',
    }) as unknown,
  });
  expect(alsoBad.status).toBe(422);
  expect(alsoBad.body.detail).toBe('VAD: sample 1: expected a finite number, got "x"');
  for (const good of [good1, good2]) {
    expect(good.status).toBe(200);
    const [probabilities] = good.body.data as [number[]];
    expect(probabilities).toHaveLength(16);
  }
  // The two good ones ran as one batch of two: the refused ones never joined it.
  expect(server.queue.stats()).toMatchObject({ completed: 2, batchSizes: { 2: 1 } });
});
