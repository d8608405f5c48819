// @ts-check
// crowdserve with one endpoint that sleeps like a model: (baseMs + perItemMs·b) ± noise per batch of b.
// argv[2]: JSON { concurrencyCount, batch, maxBatchSize, baseMs, perItemMs, noise, seed }.
// Answers 'report' with the batches it ran ({ start, end } in epoch ms, as the load generator's clock).
import { serve } from '@crowdserve/server/node';
import { random } from '../lib/eta-sim.js';

const o = JSON.parse(process.argv[2] ?? '{}');
const rand = random(o.seed ?? 1);
const epochMs = () => performance.timeOrigin + performance.now();
/** @type {{ start: number, end: number, size: number }[]} */
const batches = [];

/** @param {number} size */
async function work(size) {
  const start = epochMs();
  const ms = (o.baseMs + o.perItemMs * size) * (1 + o.noise * (2 * rand() - 1));
  await new Promise((resolve) => setTimeout(resolve, ms));
  batches.push({ start, end: epochMs(), size });
}

const endpoint = o.batch
  ? {
      batch: /** @type {const} */ (true),
      maxBatchSize: o.maxBatchSize,
      fn: async (/** @type {unknown[][]} */ requests) => {
        await work(requests.length);
        return requests.map(() => ['ok']);
      },
    }
  : {
      fn: async () => {
        await work(1);
        return ['ok'];
      },
    };

const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount: o.concurrencyCount,
  endpoints: { '/predict': endpoint },
});
process.send?.({ url: server.url });
process.on('message', (m) => {
  if (m === 'report') process.send?.({ batches });
  if (m === 'stop') server.close().then(() => process.exit(0));
});
