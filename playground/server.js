// @ts-check
// The main job: the demo queue server on http://127.0.0.1:7860, serving the built playground.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@crowdserve/server/node';
import { demoEndpoints } from './demo-endpoints.js';

const port = Number(process.env.PORT ?? 7860);
const host = process.env.HOST ?? '127.0.0.1';
const staticDir = fileURLToPath(new URL('./dist', import.meta.url));

const server = await serve({
  port,
  host,
  concurrencyCount: Number(process.env.CONCURRENCY ?? 2),
  maxSize: Number(process.env.MAX_SIZE ?? 20),
  apiOpen: true,
  staticDir: existsSync(staticDir) ? staticDir : null,
  title: 'crowdserve playground',
  endpoints: await demoEndpoints({ predictMs: Number(process.env.PREDICT_MS ?? 400) }),
});
console.log(`crowdserve playground: ${server.url}`);

// SIGTERM / Ctrl-C: refuse new joins, finish running jobs, then exit 0.
let stopping = false;
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing (running jobs finish first)`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
