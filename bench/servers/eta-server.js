// @ts-check
// crowdserve with one endpoint that sleeps like a model: (baseMs + perItemMs·b) ± noise per batch of b.
// argv[2]: JSON { concurrencyCount, batch, maxBatchSize, baseMs, perItemMs, noise, seed }.
// Answers 'report' with the batches it ran ({ start, end } in epoch ms, as the load generator's clock).
import { serve } from '@crowdserve/server/node';
import { random } from '../lib/eta-sim.js';
import { answerParent } from '../lib/child.js';
import { runLog } from '../lib/run-log.js';

const o = JSON.parse(process.argv[2] ?? '{}');
const rand = random(o.seed ?? 1);
const log = runLog();

/** @param {number} size */
const work = (size) => log.sleep((o.baseMs + o.perItemMs * size) * (1 + o.noise * (2 * rand() - 1)), size);

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
answerParent(server, () => ({ batches: log.runs }));
