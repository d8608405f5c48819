// @ts-check
// One server process of a shared queue, for the multi-process tests (shared-servers.ts starts three).
// Its endpoints tell the parent (IPC) when they run, and which process ran them, so tests can wait on
// events: `/echo`, `/hold` (runs until the parent releases it), `/batch` (batched echo), `/timer`.
import { serve } from '@crowdserve/server/node';

const env = process.env;
const tag = env.TAG ?? 'server';
/** @type {Map<string, () => void>} */
const held = new Map();
/** @param {object} message */
const tell = (message) => process.send?.({ tag, ...message });

process.on('message', (/** @type {{ release?: string; releaseAll?: boolean }} */ message) => {
  if (message.release !== undefined) held.get(message.release)?.();
  if (message.releaseAll) for (const release of held.values()) release();
});

const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount: Number(env.CONCURRENCY ?? 1),
  maxSize: env.MAX_SIZE === undefined ? null : Number(env.MAX_SIZE),
  // Every test client comes from 127.0.0.1: the per-client share is not what these tests are about.
  maxWaitingPerClient: null,
  closeGraceMs: 2000,
  redis: { url: String(env.REDIS_URL), key: env.KEY ?? 'test', leaseMs: Number(env.LEASE_MS ?? 1000) },
  endpoints: {
    '/echo': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'text', type: 'string' }],
      fn: ([text]) => {
        tell({ ran: text });
        return [`${text}@${tag}`];
      },
    },
    '/hold': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'text', type: 'string' }],
      expectedDurationMs: 1000,
      fn: async ([text], { signal }) => {
        const name = String(text);
        tell({ started: name });
        await new Promise((resolve) => {
          held.set(name, () => resolve(undefined));
          signal.addEventListener('abort', () => resolve(undefined), { once: true });
        });
        held.delete(name);
        tell({ finished: name, aborted: signal.aborted });
        return [`${name}@${tag}`];
      },
    },
    '/batch': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'text', type: 'string' }],
      batch: true,
      maxBatchSize: 4,
      fn: (requests) => {
        const members = requests.map(([text]) => String(text));
        tell({ batch: members });
        return requests.map(() => [`${members.join('+')}@${tag}`]);
      },
    },
    '/timer': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'text', type: 'string' }],
      fn: async ([text]) => {
        await new Promise((resolve) => setTimeout(resolve, Number(env.TIMER_MS ?? 50)));
        return [`${text}@${tag}`];
      },
    },
  },
});
tell({ url: server.url });

process.on('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
// The test runner went away without stopping this process: go too.
process.on('disconnect', () => process.exit(0));
