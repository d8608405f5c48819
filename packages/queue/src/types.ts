/**
 * The contract of the queue engine: options in, events in, effects out.
 * The engine owns no sockets, timers or clock of its own; a host (Node, browser) feeds it
 * events and executes the effects it returns, in order.
 */

import type { WaitingLine } from './waiting-line.js';

/** A job's id, chosen by the host; unique among the jobs the engine holds. */
export type JobId = string;
/** A batch's id, chosen by the engine. */
export type BatchId = number;

/** Per-endpoint scheduling options. Index in {@link QueueOptions.endpoints} = `fn_index`. */
export interface EndpointOptions {
  /** The handler takes an array of requests. @default false */
  batch?: boolean;
  /** Most requests in one batch (only with `batch`). @default 4 */
  maxBatchSize?: number;
  /** How long a free slot may wait to fill a batch, from the oldest member's join. 0 = take what is queued now. @default 0 */
  maxBatchDelayMs?: number;
  /** Most slots this endpoint may hold at once. `null` = only `concurrencyCount` bounds it. @default null */
  concurrencyLimit?: number | null;
  /** Expected run time of one request, used for ETAs until real samples exist. @default null */
  expectedDurationMs?: number | null;
  /** A batch running longer fails its members with `timeout` and frees its slot. `null` = no limit. @default null */
  timeoutMs?: number | null;
}

export interface QueueOptions {
  /** Job slots that run at once, shared by all endpoints. @default 1 */
  concurrencyCount?: number;
  /** Most waiting jobs (running ones not counted). `null` = unbounded. @default null */
  maxSize?: number | null;
  /** `'auto'`: push estimations when the queue moves, at most one per job per 100 ms; N: every N seconds. @default 'auto' */
  statusUpdateRate?: 'auto' | number;
  /** How long a job may take to send its data once asked (`requestData`). @default 60000 */
  dataTimeoutMs?: number;
  /**
   * How long a job may take to send its data once it has been picked (given its slot), counted from the
   * pick; `dataTimeoutMs` from its `requestData` still holds when that comes first (a prefetched job
   * asked long ago). A job past it ends `timeout` (`data`) and the batch goes on without it. Shorter
   * than `dataTimeoutMs`, so silent clients cannot hold the slots. `null`: `dataTimeoutMs`. @default null
   */
  pickedDataTimeoutMs?: number | null;
  /**
   * Ask the jobs that would form the next batches for their data while they still wait, so a freed
   * slot starts its next batch at once instead of after a data round trip. At most one full batch per
   * slot waits with its data asked for. `false`: a job is asked only when picked (Gradio 3). @default true
   */
  prefetchData?: boolean;
  /**
   * How long a job asked for its data may stay silent before it loses its turn, not its place (prefetch
   * only; issue 21.4). Past it the job keeps its rank, but no longer counts against the prefetch bound
   * (the jobs behind it are asked), is not picked while it stays silent, and gives a slot it holds before
   * its batch starts to a waiting job whose data is in hand, returning to its place in line. Once its
   * data arrives it is picked in its turn among the jobs whose data is in hand. @default 100
   */
  prefetchGraceMs?: number;
  /** The endpoints, in `fn_index` order. */
  endpoints: EndpointOptions[];
  /** Milliseconds, monotonic. @default performance.now */
  clock?: () => number;
  /**
   * Where jobs wait: an empty line that this engine alone writes to from now on (the seam for a shared
   * queue; see WaitingLine). @default a new MemoryWaitingLine
   */
  waitingLine?: WaitingLine;
}

/** What a waiting job is told about its place. Times in seconds, as on the wire. */
export interface Estimation {
  /** 0-based among waiting jobs. */
  rank: number;
  queueSize: number;
  /** Seconds from now until this job is expected to complete; `null` before any timing is known. */
  rankEta: number | null;
  /** Seconds until every waiting job is expected to complete (jobs of unknown duration left out). */
  queueEta: number;
  /** Gradio's fields: mean run time of one completed job (all endpoints), and that mean divided by `concurrencyCount`. */
  avgEventProcessTime: number | null;
  avgEventConcurrentProcessTime: number | null;
}

/** How a batch ended, as the host reports it. `results[i]` belongs to `jobIds[i]` of its `startBatch`. */
export type BatchOutcome = { ok: true; results: unknown[] } | { ok: false; error: string };

/** How an accepted job ended. Exactly one per accepted job. */
export type JobOutcome =
  | { status: 'success'; result: unknown; duration: number; averageDuration: number }
  | { status: 'error'; error: string }
  /** The client left or cancelled; nothing can be told to it. */
  | { status: 'cancelled' }
  /** The client did not send its data in time: within `limitMs` (`dataTimeoutMs` or `pickedDataTimeoutMs`). */
  | { status: 'timeout'; phase: 'data'; limitMs: number }
  /** The batch ran past its endpoint's `timeoutMs`. */
  | { status: 'timeout'; phase: 'run' }
  /** The server closed before the job could run. */
  | { status: 'shutdown' };

export type RejectReason = 'queue_full' | 'shutting_down' | 'unknown_endpoint' | 'duplicate_id';

export type Effect =
  /** The join was refused; the job was never accepted. Tell the client and close. */
  | {
      type: 'reject';
      jobId: JobId;
      reason: RejectReason;
      queueSize: number;
      maxSize: number | null;
      retryAfter: number;
    }
  /** Tell a waiting job where it stands. */
  | { type: 'estimate'; jobId: JobId; estimation: Estimation }
  /**
   * Ask the job's client for its data (`send_data`), then report `dataReceived`. Once per job: when it
   * is picked for a slot, or earlier, while it still waits, when it would be in the next batches
   * (`prefetchData`). A prefetched job keeps waiting: it keeps its rank, hears estimates, and may still
   * be cancelled or time out.
   */
  | { type: 'requestData'; jobId: JobId }
  /**
   * Run the handler for these jobs (one batch; one job when the endpoint is not batched), then report
   * `batchFinished`. `expectedDuration`: seconds the engine expects it to run (`process_starts.eta`).
   */
  | { type: 'startBatch'; batchId: BatchId; fnIndex: number; jobIds: JobId[]; expectedDuration: number | null }
  /**
   * Fire the batch's AbortSignal. `cancelled`: every member left; the slot frees when the host reports
   * `batchFinished`. `timeout`: it ran past `timeoutMs`; its members have ended, its slot is already
   * free and its `batchFinished` will be ignored. A batch aborted for `cancelled` that then hangs past
   * `timeoutMs` gets a second `abort` (`timeout`).
   */
  | { type: 'abort'; batchId: BatchId; reason: 'cancelled' | 'timeout' }
  /** The job is over: send its terminal message (if its client is still there) and forget it. */
  | { type: 'end'; jobId: JobId; outcome: JobOutcome }
  /**
   * Call `tick()` at this time (clock ms) or soon after. One timer is enough: the engine asks again only
   * for an earlier time than it asked before, or after a `tick()`, so a new one may replace the old.
   * Calling `tick()` early or more often is harmless.
   */
  | { type: 'scheduleTick'; at: number }
  /**
   * No tick is needed any more (what it was asked for went away: a batch finished, a job left): clear
   * the timer, so an idle queue holds none. Sent once, when a tick was asked for and nothing is left
   * to time; a later `scheduleTick` asks again.
   */
  | { type: 'cancelTick' };

export type EffectType = Effect['type'];

/** Counts the host may show or export (`/metrics`) and tests may check. */
export interface QueueStats {
  waiting: number;
  /** Jobs in slots: awaiting their data or running. */
  running: number;
  busySlots: number;
  /** Batches run so far, by size. */
  batchSizes: Record<number, number>;
  /** Jobs ended `success`. */
  completed: number;
  /** Jobs ended `error`, `timeout` or `shutdown`. */
  failed: number;
  /** Jobs ended `cancelled`. */
  cancelled: number;
  /** Joins answered with `reject`. */
  rejected: number;
  /** Jobs that left without an `end`: taken by another process that shares the line (`release`). */
  released: number;
}
