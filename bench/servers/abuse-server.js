// @ts-check
// The `abuse` bench's server: the playground's queue (two slots, 20 places) and otherwise the defaults
// a deployment gets (per-address limits, maxPayloadBytes, body budgets), an echo endpoint for the
// legitimate client, a 28 MiB static file (the playground's .wasm) for slow readers, and its event
// loop's delay, sent to the parent on request.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from '@crowdserve/server/node';

const staticDir = await mkdtemp(join(tmpdir(), 'crowdserve-abuse-'));
await writeFile(join(staticDir, 'big.bin'), Buffer.alloc(28 * 1024 * 1024, 1));
const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount: 2,
  maxSize: 20,
  staticDir,
  // `node abuse-server.js [options as JSON]`: an old default beside the new, for the bench.
  ...(process.argv[2] === undefined ? {} : JSON.parse(process.argv[2])),
  endpoints: { '/echo': { fn: async (data) => data } },
});
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
// The server's CPU time over the same window as the delay histogram: what an attack costs it, apart
// from how much of a shared machine the other processes got meanwhile.
let cpuSince = process.cpuUsage();
let windowSince = performance.now();
process.send?.({ url: server.url });
process.on('message', (/** @type {any} */ m) => {
  if (m === 'stop') {
    server
      .close()
      .then(() => rm(staticDir, { recursive: true, force: true }))
      .then(() => process.exit(0));
  }
  if (m === 'delay') {
    const rssMiB = process.memoryUsage().rss / 1024 / 1024;
    const cpu = process.cpuUsage(cpuSince);
    const cpuPercent = (100 * (cpu.user + cpu.system)) / 1000 / (performance.now() - windowSince);
    process.send?.({ delayP99Ms: delay.percentile(99) / 1e6, delayMaxMs: delay.max / 1e6, rssMiB, cpuPercent });
    delay.reset();
    cpuSince = process.cpuUsage();
    windowSince = performance.now();
  }
});
