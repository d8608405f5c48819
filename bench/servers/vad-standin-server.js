// @ts-check
// The VAD endpoint's server work without its model: the real `vadEndpoint` (its `prepare` decodes
// and checks each clip as it arrives; the queue, the sockets and the Gradio 3 conversation as
// they are) with `fn` replaced by a timer as long as a batch of the model. At saturation the main
// thread then does what it does beside the model, and no model thread runs. Configured by a JSON
// argument: { maxBatchSize, batchMs }.
import { serve, vadEndpoint } from '@crowdserve/server/node';

const config = JSON.parse(process.argv[2] ?? '{}');
const definition = vadEndpoint({ maxBatchSize: config.maxBatchSize, sessionOptions: { intraOpNumThreads: 1 } });
/** What the endpoint answers for a 1 s clip: 32 frame probabilities and the speech segments. */
const result = [Array.from({ length: 32 }, () => 0.5), []];

const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount: 1,
  maxConnectionsPerIp: null,
  endpoints: {
    '/vad': {
      ...definition,
      fn: async (/** @type {unknown[][]} */ requests) => {
        await new Promise((resolve) => setTimeout(resolve, config.batchMs));
        return requests.map(() => result);
      },
    },
  },
});
process.send?.({ url: server.url });
process.on('message', (m) => {
  if (m === 'stop') server.close().then(() => process.exit(0));
});
