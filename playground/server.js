// @ts-check
// The main job: the demo queue server on http://127.0.0.1:7860, serving the built playground.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@crowdserve/server/node';
import { demoEndpoints } from './demo-endpoints.js';

const port = Number(process.env.PORT ?? 7860);
const host = process.env.HOST ?? '127.0.0.1';
const staticDir = fileURLToPath(new URL('./dist', import.meta.url));

/** How long running jobs may take to finish once asked to stop. */
const closeGraceMs = Number(process.env.CLOSE_GRACE_MS ?? 10_000);
/** Past the grace, the sockets' goodbyes and the models' disposal: then the process goes regardless. */
const EXIT_DEADLINE_MS = closeGraceMs + 5_000;

const server = await serve({
  port,
  host,
  concurrencyCount: Number(process.env.CONCURRENCY ?? 2),
  maxSize: Number(process.env.MAX_SIZE ?? 20),
  apiOpen: true,
  closeGraceMs,
  staticDir: existsSync(staticDir) ? staticDir : null,
  title: 'crowdserve playground',
  endpoints: await demoEndpoints({ predictMs: Number(process.env.PREDICT_MS ?? 400) }),
});
console.log(`crowdserve playground: ${server.url}`);

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
