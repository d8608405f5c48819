// @ts-check
// Starts bench/servers/onnx-server.js in a child process and reads its counters over IPC.
import { startChild } from './child.js';

/**
 * @typedef {{ queue: { completed: number, failed: number, batchSizes: Record<string, number> },
 *   handlerMs: number, cpuMs: number, mainThreadBusyMs: number, at: number }} ServerStats
 */

/**
 * @param {{ model: 'vad' | 'ocr', concurrencyCount: number, endpoint: Record<string, unknown>,
 *   standIn?: { batchMs: number, answer: unknown[] } }} config (see bench/servers/onnx-server.js)
 * @param {string[]} [execArgv] Node flags for the server (`--cpu-prof` to see where its time goes)
 */
export async function startOnnxServer(config, execArgv = []) {
  const server = await startChild('servers/onnx-server.js', [JSON.stringify(config)], execArgv);
  /** @type {((s: ServerStats) => void)[]} */
  const waiting = [];
  server.child.on('message', (/** @type {any} */ m) => {
    if (m && m.stats) waiting.shift()?.(m.stats);
  });
  return {
    url: server.url,
    stop: server.stop,
    /** @returns {Promise<ServerStats>} */
    stats: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        server.child.send('stats');
      }),
  };
}

/**
 * What the server did between two readings: jobs, batches and their mean size, and per job the
 * server's CPU (all threads) and handler time.
 * @param {ServerStats} before
 * @param {ServerStats} after
 */
export function serverDelta(before, after) {
  const jobs = after.queue.completed - before.queue.completed;
  let batches = 0;
  let batched = 0;
  for (const [size, count] of Object.entries(after.queue.batchSizes)) {
    const n = count - (before.queue.batchSizes[size] ?? 0);
    batches += n;
    batched += n * Number(size);
  }
  const wallMs = after.at - before.at;
  return {
    jobs,
    failed: after.queue.failed - before.queue.failed,
    batches,
    meanBatchSize: batches > 0 ? batched / batches : NaN,
    /** Cores the server kept busy, all threads together (2 = both cores of a 2-core machine). */
    cores: (after.cpuMs - before.cpuMs) / wallMs,
    /** Server CPU, all threads, per job (ms). */
    serverCpuPerJobMs: (after.cpuMs - before.cpuMs) / jobs,
    /** Share of the window the server's main thread was busy (0..1). */
    mainThreadBusy: (after.mainThreadBusyMs - before.mainThreadBusyMs) / wallMs,
    /** Handler time (preprocess + worker run + postprocess) per batch (ms). */
    handlerPerBatchMs: (after.handlerMs - before.handlerMs) / batches,
  };
}
