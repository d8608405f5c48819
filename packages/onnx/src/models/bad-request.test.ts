// One bad request among good ones, through serve() and the real VAD model in a worker thread: the
// bad one is refused alone (its data fails the endpoint's preprocess as it arrives), and the batch
// it would have joined runs for the others. The workers are the built files: `npx tsc -b` first.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { serve, type Server } from '@crowdserve/server/node';
import { deferred } from '../../../server/test/test-utils.js';
import { encodeVadSamples } from './vad.js';
import { vadEndpoint } from './node.js';

let server: Server;
const hold = deferred();
beforeAll(async () => {
  server = await serve({
    port: 0,
    host: '127.0.0.1',
    concurrencyCount: 1,
    apiOpen: true,
    endpoints: {
      '/vad': vadEndpoint({ batch: true, maxBatchSize: 8 }),
      // Holds the one slot while the requests arrive, so that they all wait in the line together.
      '/hold': { fn: async () => (await hold.promise, []) },
    },
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
  // Sent at once, they may arrive far apart on a loaded machine: a batch that formed at the first
  // could close before the second good one came. So they wait behind a held slot until all are in.
  const held = fetch(`${server.url}/run/hold`, { method: 'POST', body: JSON.stringify({ data: [] }) });
  await vi.waitFor(() => expect(server.stats().running).toBe(1));
  const [good1, bad, good2, alsoBad] = [
    post([encodeVadSamples(tone)]),
    post(['not base64!']),
    post([encodeVadSamples(tone)]),
    post([[0, 'x']]),
  ];
  // The bad ones are refused as they arrive, while the slot is still held; the good ones wait.
  const refused = await Promise.all([bad, alsoBad]);
  await vi.waitFor(() => expect(server.stats().waiting).toBe(2), { timeout: 10_000 });
  hold.resolve();
  expect((await held).status).toBe(200);
  const served = await Promise.all([good1, good2]);
  expect(refused[0]).toEqual({
    status: 422,
    body: expect.objectContaining({
      detail: 'VAD: expected [samples] as numbers or as base64 little-endian float32, got a string that is neither',
    }) as unknown,
  });
  expect(refused[1].status).toBe(422);
  expect(refused[1].body.detail).toBe('VAD: sample 1: expected a finite number, got "x"');
  for (const good of served) {
    expect(good.status).toBe(200);
    const [probabilities] = good.body.data as [number[]];
    expect(probabilities).toHaveLength(16);
  }
  // The two good ones ran as one batch of two (beside the held run of one): the refused ones never joined it.
  expect(server.stats()).toMatchObject({ completed: 3 });
  expect(server.stats().batchSizes).toEqual({ 1: 1, 2: 1 });
});
