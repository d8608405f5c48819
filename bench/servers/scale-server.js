// @ts-check
// One server process for the scale-out bench, alone or one of several sharing a queue on Redis.
// argv[2]: JSON { kind: 'echo' | 'eta' | 'timer', concurrencyCount, redis?: { url, key }, tag?,
//   baseMs?, noise?, seed? }. One endpoint (fn_index 0): 'echo' answers at once; 'eta' sleeps baseMs ± noise;
//   'timer' sleeps exactly baseMs (a model whose service time is fixed).
// Answers 'report' with the runs it did ({ start, end } in epoch ms, as the load generator's clock).
import { serve } from '@crowdserve/server/node';
import { random } from '../lib/eta-sim.js';
import { answerParent } from '../lib/child.js';
import { runLog } from '../lib/run-log.js';

const o = JSON.parse(process.argv[2] ?? '{}');
const rand = random(o.seed ?? 1);
const { runs, sleep } = runLog();

/** @type {Record<string, () => Promise<unknown[]>>} */
const models = {
  echo: async () => ['x'],
  eta: async () => {
    await sleep(o.baseMs * (1 + o.noise * (2 * rand() - 1)));
    return ['ok'];
  },
  timer: async () => {
    await sleep(o.baseMs);
    return ['ok'];
  },
};
const fn = models[o.kind];
if (fn === undefined) throw new Error(`scale-server: unknown kind ${o.kind}`);

const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount: o.concurrencyCount,
  // The load generator is one address opening many sockets and holding many places at once.
  maxConnectionsPerIp: null,
  maxWaitingPerClient: null,
  ...(o.redis ? { redis: { url: o.redis.url, key: o.redis.key } } : {}),
  endpoints: { '/predict': { fn } },
});
answerParent(server, () => ({ runs }));
