import type { BatchId, JobId, QueueOptions } from '@crowdserve/queue';
import type { ResolvedEndpoint } from './endpoints.js';

/**
 * How long a job that has been given its slot may take to send its data (`send_data` → data); a
 * silent one loses the slot. A client that has its data answers in one round trip; without this, 22
 * sockets that never answer held both slots for the whole `dataTimeoutMs` (60 s) and joined again.
 * The engine's `pickedDataTimeoutMs`. @default 10000
 */
export const DEFAULT_PICKED_DATA_TIMEOUT_MS = 10_000;

export interface QueueHostOptions {
  endpoints: ResolvedEndpoint[];
  concurrencyCount: number;
  maxSize: number | null;
  statusUpdateRate: 'auto' | number;
  dataTimeoutMs: number;
  /**
   * Ask the jobs that would form the next batches for their data (`send_data`) while they still wait,
   * so a freed slot starts at once (see `@crowdserve/queue`'s `prefetchData`). @default true
   */
  prefetchData?: boolean;
  /**
   * Most jobs not started yet (waiting, or picked and waiting for data) per client key given to `join`;
   * a join past it is refused as `queue_full` with a reason. `null`: no cap. @default null
   */
  maxWaitingPerClient?: number | null;
  /** How long a picked job may take to send its data (the engine's option); `undefined`: `dataTimeoutMs`. @default undefined */
  pickedDataTimeoutMs?: number;
  /** How long an asked job may stay silent before it loses its turn (the engine's option). @default the engine's */
  prefetchGraceMs?: number;
  /** Milliseconds, monotonic. */
  clock?: () => number;
  /** Called when a batch starts (a shared queue tells the other processes, for their ETAs). */
  onBatchStart?: (event: { batchId: BatchId; fnIndex: number; size: number }) => void;
  /** Called after every batch ends (metrics). */
  onBatchEnd?: (event: { batchId: BatchId; fnIndex: number; size: number; seconds: number; ok: boolean }) => void;
  /** Put before every job id: ids are then unique across the processes of a shared queue. @default '' */
  idPrefix?: string;
  /**
   * A shared queue (issue 23): a job this engine picks is first claimed in the shared line, and is asked
   * for its data only if this process won it; a lost one is released (another process took it).
   * Absent: this engine alone decides.
   */
  claim?: (id: JobId) => Promise<boolean>;
}

/** The engine's share of the host's options. */
export function engineOptions(options: QueueHostOptions, clock: () => number): QueueOptions {
  return {
    concurrencyCount: options.concurrencyCount,
    maxSize: options.maxSize,
    statusUpdateRate: options.statusUpdateRate,
    dataTimeoutMs: options.dataTimeoutMs,
    ...(options.prefetchData === undefined ? {} : { prefetchData: options.prefetchData }),
    ...(options.pickedDataTimeoutMs === undefined ? {} : { pickedDataTimeoutMs: options.pickedDataTimeoutMs }),
    ...(options.prefetchGraceMs === undefined ? {} : { prefetchGraceMs: options.prefetchGraceMs }),
    endpoints: options.endpoints.map((e) => e.queue),
    clock,
  };
}
