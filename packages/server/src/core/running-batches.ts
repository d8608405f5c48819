import type { ServerMessage } from '@crowdserve/protocol';
import type { BatchId, BatchOutcome, Effect, JobId } from '@crowdserve/queue';
import { CallAbortedError } from '../endpoint.js';
import type { ResolvedEndpoint } from './endpoints.js';
import type { QueueHostOptions } from './queue-host-options.js';
import { runBatch, type RunningBatch } from './run-batch.js';

export interface RunningBatchesOptions extends Pick<QueueHostOptions, 'onBatchStart' | 'onBatchEnd'> {
  /** Milliseconds, monotonic. */
  clock: () => number;
  /** Sends a message to a member of a running batch (if it is still there). */
  send: (jobId: JobId, message: ServerMessage) => void;
  /** A batch's handler returned (abandoned ones included: the engine ignores their late finish). */
  finished: (batchId: BatchId, outcome: BatchOutcome) => void;
}

/** A starting batch: its members, their data and what `prepare` made of it, in batch order. */
export interface BatchStart {
  batchId: BatchId;
  fnIndex: number;
  endpoint: ResolvedEndpoint;
  jobIds: JobId[];
  requests: unknown[][];
  prepared: unknown[];
  expectedDuration: number | null;
}

/**
 * The batches whose handlers run, with when each started, and the count of calls that timed out
 * whose handler has not returned yet (it ignored its signal): what `callsPastTimeout` reports.
 */
export class RunningBatches {
  private readonly entries = new Map<BatchId, { run: RunningBatch; startedAt: number }>();
  private abandoned = 0;

  constructor(private readonly options: RunningBatchesOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** Runs the batch's handler (`runBatch`), telling `onBatchStart` and, once it returns, `onBatchEnd`. */
  start(batch: BatchStart): void {
    const { batchId, fnIndex, endpoint, jobIds } = batch;
    const startedAt = this.options.clock();
    this.options.onBatchStart?.({ batchId, fnIndex, size: jobIds.length });
    const run = runBatch({
      endpoint,
      requests: batch.requests,
      ...(endpoint.definition.prepare === undefined ? {} : { prepared: batch.prepared }),
      expectedDuration: batch.expectedDuration,
      send: (index, message) => this.options.send(jobIds[index] ?? '', message),
      done: (outcome) => {
        this.finish(batchId);
        const seconds = (this.options.clock() - startedAt) / 1000;
        this.options.onBatchEnd?.({ batchId, fnIndex, size: jobIds.length, seconds, ok: outcome.ok });
        this.options.finished(batchId, outcome);
      },
    });
    this.entries.set(batchId, { run, startedAt });
  }

  /** The engine's `abort`: a timed-out batch is abandoned; one whose clients all left is cancelled. */
  abort(batchId: BatchId, reason: Extract<Effect, { type: 'abort' }>['reason']): void {
    if (reason === 'timeout') {
      // The engine has ended its members and freed its slot, and ignores its late finish.
      this.abandon(batchId)?.controller.abort(new CallAbortedError('TIMEOUT', 'the call timed out'));
    } else {
      this.entries
        .get(batchId)
        ?.run.controller.abort(new CallAbortedError('CANCELLED', 'every client of this call left'));
    }
  }

  /** Shutdown's grace ran out: every handler still running is aborted. */
  abortAll(): void {
    for (const { run } of this.entries.values())
      run.controller.abort(new CallAbortedError('SHUTDOWN', 'the server is shutting down'));
  }

  /**
   * The engine ended a timed-out batch's members and freed its slot: its entry goes now (a handler that
   * never settles must not keep one for the life of the process), and it counts until it returns.
   */
  private abandon(id: BatchId): RunningBatch | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    this.abandoned++;
    return entry.run;
  }

  /** The batch's handler returned; an abandoned one stops counting. */
  private finish(id: BatchId): void {
    if (!this.entries.delete(id)) this.abandoned--;
  }

  /** Calls abandoned, plus those running for longer than `timeoutMs` at `now`. */
  pastTimeout(now: number, timeoutMs: number): number {
    let held = 0;
    for (const { startedAt } of this.entries.values()) if (startedAt <= now - timeoutMs) held++;
    return this.abandoned + held;
  }
}
