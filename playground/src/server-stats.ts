/** `GET /queue/status`: how many jobs wait on the server now. */
export async function fetchQueueSize(origin: string, signal?: AbortSignal): Promise<number> {
  const response = await fetch(new URL('/queue/status', origin), { signal, cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /queue/status: HTTP ${response.status}`);
  const body = (await response.json()) as { queue_size?: unknown };
  if (typeof body.queue_size !== 'number') throw new Error('GET /queue/status: no queue_size');
  return body.queue_size;
}

const BATCHES = /^crowdserve_batches_total\{size="(\d+)"\} (\d+)$/gm;

/** Batches the server has run, by size, from its Prometheus `/metrics`. */
export async function fetchBatchSizes(origin: string): Promise<Record<number, number>> {
  const response = await fetch(new URL('/metrics', origin), { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return parseBatchSizes(await response.text());
}

export function parseBatchSizes(metrics: string): Record<number, number> {
  const sizes: Record<number, number> = {};
  for (const [, size, count] of metrics.matchAll(BATCHES)) sizes[Number(size)] = Number(count);
  return sizes;
}
