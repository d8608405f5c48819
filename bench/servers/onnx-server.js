// @ts-check
// crowdserve hosting one ONNX model endpoint, configured by a JSON argument:
// { model: 'vad' | 'ocr', concurrencyCount, endpoint: { batch, maxBatchSize, sessionOptions, … },
//   standIn?: { batchMs, answer } }.
// Answers 'stats' over IPC with the queue's counters and this process's CPU, so the bench can say
// where the time went. With `standIn` (a batched endpoint), the model is replaced by a timer: each
// batch waits `batchMs` and answers `answer` for every request, while the queue, the sockets and
// `prepare` work as they do; the server's main thread then does what it does beside the model, and
// no model thread runs.
import { performance } from 'node:perf_hooks';
import { ocrEndpoint, vadEndpoint } from '@crowdserve/onnx/node';
import { serve } from '@crowdserve/server/node';

const config = JSON.parse(process.argv[2] ?? '{}');
const factories = { vad: vadEndpoint, ocr: ocrEndpoint };
const factory = factories[/** @type {'vad' | 'ocr'} */ (config.model)];
if (!factory) throw new Error(`onnx-server: model: expected 'vad' or 'ocr', got ${config.model}`);

const definition = factory(config.endpoint ?? {});
// Time inside the handler (preprocess, the worker's run, postprocess), summed over batches.
let handlerMs = 0;
const { standIn } = config;
const fn = /** @type {(...args: any[]) => Promise<any>} */ (
  standIn
    ? async (/** @type {unknown[][]} */ requests) => {
        await new Promise((resolve) => setTimeout(resolve, standIn.batchMs));
        return requests.map(() => standIn.answer);
      }
    : definition.fn
);
const timed = /** @type {import('@crowdserve/server/node').EndpointDefinition} */ ({
  ...definition,
  fn: async (/** @type {any[]} */ ...args) => {
    const started = performance.now();
    try {
      return await fn(...args);
    } finally {
      handlerMs += performance.now() - started;
    }
  },
});

const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount: config.concurrencyCount ?? 1,
  // The load generator is one address holding every client's connection.
  maxConnectionsPerIp: null,
  endpoints: { [`/${config.model}`]: timed },
});
process.send?.({ url: server.url, report: Object.values(server.reports)[0] });
process.on('message', (m) => {
  if (m === 'stop') server.close().then(() => process.exit(0));
  else if (m === 'stats') {
    process.send?.({
      stats: {
        queue: server.stats(),
        handlerMs,
        // All threads of this process (main thread, workers, ORT's threads), in ms.
        cpuMs: cpuMs(process.cpuUsage()),
        mainThreadBusyMs: performance.eventLoopUtilization().active,
        at: performance.now(),
      },
    });
  }
});

/** @param {NodeJS.CpuUsage} usage */
function cpuMs(usage) {
  return (usage.user + usage.system) / 1000;
}
