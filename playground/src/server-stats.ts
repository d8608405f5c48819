/** `GET /queue/status`: how many jobs wait on the server now. */
export async function fetchQueueSize(origin: string, signal?: AbortSignal): Promise<number> {
  const response = await fetch(new URL('/queue/status', origin), { signal, cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /queue/status: HTTP ${response.status}`);
  const body = (await response.json()) as { queue_size?: unknown };
  if (typeof body.queue_size !== 'number') throw new Error('GET /queue/status: no queue_size');
  return body.queue_size;
}

/**
 * What the stampede counters show beside their own users' states. Slots and jobs differ: a batch
 * of 4 in one slot is 4 jobs running in 1 slot, so "running" jobs may exceed `concurrencyCount`.
 */
export interface ServerStats {
  /** Batches run so far, by size. */
  batchSizes: Record<number, number>;
  /** Slots running a call now. */
  busySlots: number;
  /** The server's `concurrencyCount`. */
  slots: number;
}

const BATCHES = /^crowdserve_batches_total\{size="(\d+)"\} (\d+)$/gm;
const SLOTS_BUSY = /^crowdserve_slots_busy (\d+)$/m;
const SLOTS_TOTAL = /^crowdserve_slots_total (\d+)$/m;

/** The server's batches and slots, from its Prometheus `/metrics`. */
export async function fetchServerStats(origin: string): Promise<ServerStats> {
  const response = await fetch(new URL('/metrics', origin), { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return parseServerStats(await response.text());
}

export function parseServerStats(metrics: string): ServerStats {
  const batchSizes: Record<number, number> = {};
  for (const [, size, count] of metrics.matchAll(BATCHES)) batchSizes[Number(size)] = Number(count);
  const busy = SLOTS_BUSY.exec(metrics)?.[1];
  const total = SLOTS_TOTAL.exec(metrics)?.[1];
  if (busy === undefined || total === undefined) throw new Error('GET /metrics: no crowdserve_slots_busy/_total');
  return { batchSizes, busySlots: Number(busy), slots: Number(total) };
}
