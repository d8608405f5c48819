// @ts-check
// The control for the concurrency section: the recognizer's bare `session.run` loop in `threads`
// worker threads at once, no queue, no pool. Its 2-vs-1 ratio is what this machine allows.
import { Worker } from 'node:worker_threads';

/**
 * Lines per second over all threads.
 * @param {number} threads
 * @param {{ width: number, height: number, data: string }} line
 * @param {{ sessionOptions: Record<string, unknown>, warmupMs: number, measureMs: number }} options
 */
export async function bareOcrThreads(threads, line, options) {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL('./ocr-bare-worker.js', import.meta.url), { workerData: { line, ...options } }),
  );
  try {
    await Promise.all(workers.map((w) => nextMessage(w)));
    const results = workers.map((w) => nextMessage(w));
    for (const w of workers) w.postMessage('go');
    const done = /** @type {{ runs: number, ms: number }[]} */ (await Promise.all(results));
    return { linesPerSecond: done.reduce((sum, r) => sum + r.runs / (r.ms / 1000), 0) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** @param {Worker} worker */
function nextMessage(worker) {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}
