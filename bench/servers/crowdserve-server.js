// @ts-check
// crowdserve with an identity endpoint; concurrencyCount from argv.
import { serve } from '@crowdserve/server/node';
import { answerParent } from '../lib/child.js';

const concurrencyCount = Number(process.argv[2] ?? 1);
const server = await serve({
  port: 0,
  host: '127.0.0.1',
  concurrencyCount,
  // The load generator is one address opening 100 sockets at once.
  maxConnectionsPerIp: null,
  endpoints: { '/identity': { fn: async (data) => data } },
});
answerParent(server);
