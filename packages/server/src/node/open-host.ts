import { defaultMaxWaitingPerClient } from '../core/client-share.js';
import type { ResolvedEndpoint } from '../core/endpoints.js';
import type { JobHost } from '../core/job-host.js';
import { QueueHost, type QueueHostOptions } from '../core/queue-host.js';
import type { Metrics } from './metrics.js';
import type { ResolvedServeOptions } from './options.js';
import { openSharedHost } from './shared/open-shared-host.js';

/** The queue `serve()` runs: this process's own, or its share of a line on Redis (`options.redis`). */
export async function openHost(
  o: ResolvedServeOptions,
  endpoints: ResolvedEndpoint[],
  metrics: Metrics,
): Promise<JobHost> {
  const hostOptions: QueueHostOptions = {
    endpoints,
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    statusUpdateRate: o.statusUpdateRate,
    dataTimeoutMs: o.dataTimeoutMs,
    pickedDataTimeoutMs: o.pickedDataTimeoutMs,
    prefetchGraceMs: o.prefetchGraceMs,
    maxWaitingPerClient:
      o.maxWaitingPerClient === 'auto' ? defaultMaxWaitingPerClient(o.maxSize) : o.maxWaitingPerClient,
    prefetchData: o.prefetchData,
    onBatchEnd: ({ fnIndex, seconds }) => metrics.recordBatch(endpoints[fnIndex]?.apiName ?? String(fnIndex), seconds),
  };
  if (o.redis === null) return new QueueHost(hostOptions);
  return openSharedHost({
    redis: o.redis,
    concurrencyCount: o.concurrencyCount,
    maxSize: o.maxSize,
    // Redis decides `maxSize` for every process at once; this engine holds the whole line.
    makeHost: (hooks) =>
      new QueueHost({
        ...hostOptions,
        ...hooks,
        maxSize: null,
        onBatchEnd: (event) => {
          hostOptions.onBatchEnd?.(event);
          hooks.onBatchEnd(event);
        },
      }),
    log: (message) => console.warn(message),
  });
}
