import type { Batch, Job, PeerBatch } from './batch.js';
import type { ResolvedQueueOptions } from './options.js';
import type { BatchId, JobId } from './types.js';
import type { WaitingLineView } from './waiting-line.js';

/**
 * The engine's state as its planners (slots.ts, prefetch.ts) read it. They never write: they return
 * decisions, and the engine applies them (queue-state.ts) and asks again.
 */
export interface StateView {
  readonly options: ResolvedQueueOptions;
  /** Clock ms of the event being handled. */
  readonly now: number;
  readonly line: WaitingLineView;
  readonly jobs: ReadonlyMap<JobId, Job>;
  /** Every batch holding a slot, in pick order. */
  readonly batches: ReadonlyMap<BatchId, Batch>;
  /** The gathering batch of each endpoint that has one (at most one per endpoint). */
  readonly gathering: ReadonlyMap<number, BatchId>;
  /** Slots held, per endpoint. */
  readonly held: readonly number[];
  /** Waiting jobs asked for their data (prefetching or prefetched), in asking order. */
  readonly prefetched: ReadonlySet<JobId>;
  /** The other processes that share the line: their slots and running batches (`peers`, `peerBatchStarted`). */
  readonly peers: { readonly slots: number; values(): Iterable<PeerBatch> };
}

/** One change of the engine's state, as a planner asks for it. */
export type Decision =
  /**
   * A free slot goes to a new batch of the endpoint, which takes its oldest waiting jobs up to
   * maxBatchSize. `closeAt` (clock ms): it gathers more members until then; null: closed at once.
   */
  | { type: 'pick'; fnIndex: number; closeAt: number | null }
  /** A gathering batch takes more of its endpoint's waiting jobs. */
  | { type: 'admit'; batchId: BatchId }
  /** A gathering batch stops taking members (full, delay over, shutdown). */
  | { type: 'close'; batchId: BatchId }
  /** A closed batch with every member's data in starts. */
  | { type: 'start'; batchId: BatchId }
  /** A batch that never started and has no members left gives its slot back. */
  | { type: 'free'; batchId: BatchId }
  /** A running batch whose members all left is aborted (`cancelled`). */
  | { type: 'abort'; batchId: BatchId }
  /** A started batch passed its run deadline: its members fail, its slot frees. */
  | { type: 'timeOut'; batchId: BatchId }
  /** A job's asked-for data did not come by its deadline (waiting or in a slot). */
  | { type: 'expire'; jobId: JobId }
  /** Ask a waiting job for its data now (prefetch). */
  | { type: 'ask'; jobId: JobId }
  /** A silent job in a batch not started gives its slot back and returns to its place in line (silence.ts). */
  | { type: 'stepBack'; jobId: JobId };
