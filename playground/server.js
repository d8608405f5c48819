// @ts-check
// The main job: the demo queue server on http://127.0.0.1:7860, serving the built playground.
// With REDIS_URL, it shares its queue on Redis; with WORKERS=N too, N processes share the port (node:cluster)
// and the queue, and each job's result says which process served it (DESIGN §9.6).
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@crowdserve/server/node';
import { demoEndpoints } from './demo-endpoints.js';

const port = Number(process.env.PORT ?? 7860);
const host = process.env.HOST ?? '127.0.0.1';
const staticDir = fileURLToPath(new URL('./dist', import.meta.url));
const redisUrl = process.env.REDIS_URL || null;
const workers = Number(process.env.WORKERS ?? 1);

/** How long running jobs may take to finish once asked to stop. */
const closeGraceMs = Number(process.env.CLOSE_GRACE_MS ?? 10_000);
/** Past the grace, the sockets' goodbyes and the models' disposal: then the process goes regardless. */
const EXIT_DEADLINE_MS = closeGraceMs + 5_000;

if (!Number.isInteger(workers) || workers < 1) {
  console.error(`WORKERS: expected an integer ≥ 1, got ${process.env.WORKERS}`);
  process.exit(2);
}
if (workers > 1 && redisUrl === null) {
  console.error(
    'WORKERS > 1 needs REDIS_URL: the processes share one queue on Redis (e.g. REDIS_URL=redis://127.0.0.1:6379)',
  );
  process.exit(2);
}
if (workers > 1 && cluster.isPrimary) {
  await runCluster();
} else {
  await runServer();
}

/** The primary of WORKERS processes: starts them, says where they listen, passes signals on, exits with them. */
async function runCluster() {
  const listening = new Set();
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('message', (worker, message) => {
    if (message?.type !== 'listening') return;
    listening.add(worker.id);
    if (listening.size === workers) {
      console.log(`crowdserve playground: ${message.url} (${workers} processes sharing one queue on ${redisUrl})`);
    }
  });
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      console.error(`process ${worker.id} exited (${code}): stopping the others`);
      stop('a process exited');
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
  /** @param {string} why */
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    console.log(`${why}: closing ${workers} processes (running jobs finish first)`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), EXIT_DEADLINE_MS + 1000).unref();
  };
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) process.on(signal, () => stop(signal));
}

async function runServer() {
  const name = cluster.isWorker ? `process ${cluster.worker?.id} (pid ${process.pid})` : `pid ${process.pid}`;
  const server = await serve({
    port,
    host,
    concurrencyCount: Number(process.env.CONCURRENCY ?? 2),
    maxSize: Number(process.env.MAX_SIZE ?? 20),
    apiOpen: true,
    closeGraceMs,
    staticDir: existsSync(staticDir) ? staticDir : null,
    title: 'crowdserve playground',
    ...(redisUrl === null ? {} : { redis: { url: redisUrl, key: process.env.REDIS_KEY ?? 'crowdserve-playground' } }),
    // node:cluster hands each connection to any process: an sse_v3 session's joins and its stream would
    // land on different ones (it needs sticky sessions), so several processes serve the 3.x WebSocket only.
    ...(workers > 1 ? { dialects: { sseV3: false } } : {}),
    endpoints: await demoEndpoints({
      // MODELS=0: the text endpoints only (a quicker start, e.g. for tests of several processes).
      models: process.env.MODELS !== '0',
      predictMs: Number(process.env.PREDICT_MS ?? 400),
      ...(redisUrl === null ? {} : { servedBy: name }),
    }),
  });
  if (cluster.isWorker) process.send?.({ type: 'listening', url: server.url });
  else
    console.log(
      `crowdserve playground: ${server.url}${redisUrl === null ? '' : ` (sharing its queue on ${redisUrl})`}`,
    );

  // SIGTERM / Ctrl-C: refuse new joins, finish running jobs, then exit 0; within EXIT_DEADLINE_MS in any case.
  // `npm start` execs this process, so npm's forwarded signal lands here (docker stop, systemd, Ctrl-C).
  let stopping = false;
  /** @param {string} why */
  function stop(why) {
    if (stopping) return;
    stopping = true;
    console.log(`${why}: closing (running jobs finish first)`);
    setTimeout(() => {
      console.error(`not closed after ${EXIT_DEADLINE_MS} ms: exiting anyway`);
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) process.on(signal, () => stop(signal));

  // A launcher that dies without passing the signal on (a shell that does not exec, a killed wrapper)
  // leaves this process to another parent: stop then too, rather than serve on as an orphan.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop('parent exited');
  }, 1000).unref();
}
