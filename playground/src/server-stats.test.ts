import { connect, type App } from '@crowdserve/client';
import { serve, type Server } from '@crowdserve/server/node';
import { afterEach, expect, it, vi } from 'vitest';
import { fetchServerStats, parseServerStats } from './server-stats.js';
import { countStates, startStampede } from './stampede.js';

let server: Server | undefined;
let app: App | undefined;

afterEach(async () => {
  app?.close();
  await server?.close();
});

// Issue 22.10: the page showed "running 4" with concurrencyCount 2. It counted jobs; the server
// ran 2 batches of 2. The counters now show both, each named for what it counts.
it('a batch of 2 in each of 2 slots: 4 running jobs, 2/2 busy slots', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  server = await serve({
    host: '127.0.0.1',
    port: 0,
    concurrencyCount: 2,
    endpoints: {
      '/classify': {
        batch: true,
        maxBatchSize: 2,
        // Long enough that each batch fills before it starts; a full batch starts at once.
        maxBatchDelayMs: 60_000,
        inputs: [{ label: 'text', type: 'string' }],
        outputs: [{ label: 'echo', type: 'string' }],
        fn: async (requests) => {
          await released;
          return requests.map(([text]) => [text]);
        },
      },
    },
  });
  app = await connect(server.url);
  const stampede = startStampede({ app, endpoint: '/classify', count: 4, data: async (user) => [`user ${user}`] });

  await vi.waitFor(() => expect(countStates(stampede.users).running).toBe(4));
  const stats = await fetchServerStats(server.url);
  expect(stats).toEqual({ batchSizes: { 2: 2 }, busySlots: 2, slots: 2 });

  release();
  await stampede.finished;
  expect(countStates(stampede.users).done).toBe(4);
  expect((await fetchServerStats(server.url)).busySlots).toBe(0);
});

it('parseServerStats refuses metrics without the slot gauges', () => {
  expect(() => parseServerStats('crowdserve_queue_running 4\n')).toThrow(/crowdserve_slots_busy/);
});
