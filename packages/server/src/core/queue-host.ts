import { assertNever } from '@crowdserve/protocol';
import { UnknownEndpointError } from '../errors.js';
import type { EstimationMessage } from '@crowdserve/protocol';
import { QueueEngine, type BatchId, type Effect, type JobId, type QueueStats } from '@crowdserve/queue';
import { tooManyWaitingReason } from './client-share.js';
import { DataIntake } from './data-intake.js';
import { EffectDrain } from './effect-drain.js';
import { DEFAULT_ENDPOINT_TIMEOUT_MS, type ResolvedEndpoint } from './endpoints.js';
import { estimationMessage } from './gradio3.js';
import type { HostJob, JobSink } from './host-job.js';
import { HostJobs } from './host-jobs.js';
import { IdleWaiters } from './idle-waiters.js';
import type { JobHost } from './job-host.js';
import { queueFullFields, sendEnd, sendEstimate, sendQueueFull, sendReject } from './job-messages.js';
import { engineOptions, type QueueHostOptions } from './queue-host-options.js';
import { RunningBatches } from './running-batches.js';
import { TickTimer } from './tick-timer.js';

export type { JobSink } from './host-job.js';
export type { JobHost } from './job-host.js';
export { DEFAULT_PICKED_DATA_TIMEOUT_MS, type QueueHostOptions } from './queue-host-options.js';

/**
 * The queue engine wired to the outside world, for any host (Node, browser): it keeps each job's
 * sink and data (`host-jobs.ts`), runs handlers for `startBatch`, keeps one timer for `scheduleTick`,
 * and turns the engine's effects into wire messages (`job-messages.ts`). Transports (WebSocket, HTTP,
 * MessagePort, SSE) only feed it; a shared queue (`node/shared/`) also drives `hold` … `peerBatchFinished`.
 */
export class QueueHost implements JobHost {
  readonly endpoints: ResolvedEndpoint[];
  private readonly engine: QueueEngine;
  private readonly jobs: HostJobs;
  private readonly batches: RunningBatches;
  private readonly intake: DataIntake;
  private readonly drain = new EffectDrain<Effect>((effect) => this.execute(effect));
  private readonly tick: TickTimer;
  private nextId = 1;
  private readonly clock: () => number;
  private closing = false;
  private readonly idle = new IdleWaiters();

  constructor(private readonly options: QueueHostOptions) {
    this.endpoints = options.endpoints;
    this.clock = options.clock ?? (() => performance.now());
    this.tick = new TickTimer(this.clock, () => this.dispatch(this.engine.tick()));
    this.engine = new QueueEngine(engineOptions(options, this.clock));
    this.jobs = new HostJobs(options.maxWaitingPerClient ?? null);
    this.intake = new DataIntake({
      endpoints: this.endpoints,
      jobs: this.jobs,
      claim: options.claim,
      ready: (id) => this.dispatch(this.engine.dataReceived(id)),
      lost: (id) => this.dispatch(this.engine.release(id)),
      fail: (id, message, refused) => this.fail(id, message, refused),
    });
    this.batches = new RunningBatches({
      clock: this.clock,
      onBatchStart: options.onBatchStart,
      onBatchEnd: options.onBatchEnd,
      send: (id, message) => this.jobs.get(id)?.sink.send(message),
      finished: (batchId, outcome) => this.dispatch(this.engine.batchFinished(batchId, outcome)),
    });
  }

  /**
   * Puts a job in the queue; its messages go to `sink`. With `data`, the job's data is already known
   * (HTTP predict) and is handed over when it is picked. `clients`: the keys its client is counted
   * under for `maxWaitingPerClient` (`ip:…`, `session:…`). Returns the job's id for `receiveData` / `leave`.
   */
  join(sink: JobSink, fnIndex: number, data?: unknown[], clients: readonly string[] = []): JobId {
    const { id, held } = this.hold(sink, fnIndex, data, clients);
    if (held) this.enter(id);
    return id;
  }

  /** This host decides at once: by the time `join` returns, the job is in line or was refused. */
  admitted(): null {
    return null;
  }

  /**
   * A shared queue's first step of a join: the job is known here (its sink, its data, its client's
   * share) but enters the line only with `enter`, once the shared line accepted it, or is refused with
   * `refuseHeld`. `held: false`: refused at once, over its client's share.
   */
  hold(
    sink: JobSink,
    fnIndex: number,
    data: unknown[] | undefined,
    clients: readonly string[],
  ): { id: JobId; held: boolean } {
    const id = `${this.options.idPrefix ?? ''}${this.nextId++}`;
    if (!this.closing && !this.jobs.admits(clients)) {
      this.refuseFull(sink, tooManyWaitingReason(this.jobs.limit ?? 0));
      return { id, held: false };
    }
    this.jobs.add(id, fnIndex, sink, data, clients);
    return { id, held: true };
  }

  /** A held job enters the line (at its back). */
  enter(id: JobId): void {
    const job = this.jobs.get(id);
    if (job !== undefined) this.dispatch(this.engine.join(id, job.fnIndex));
  }

  /** A job of another process enters this process's copy of the shared line; its messages go to `sink`. */
  enterRemote(id: JobId, fnIndex: number, sink: JobSink): void {
    if (this.jobs.has(id)) return;
    this.jobs.add(id, fnIndex, sink, undefined, []);
    this.dispatch(this.engine.join(id, fnIndex));
  }

  /**
   * A held job the shared line refused: `queue_full`, so its client retries. `line`: the line's own
   * numbers (its size, its maxSize), where this engine's are not the queue's.
   */
  refuseHeld(id: JobId, line: { queueSize: number; maxSize: number | null }, reason?: string): void {
    const job = this.jobs.forget(id);
    if (job !== undefined) this.refuseFull(job.sink, reason, line);
  }

  /** Like `queue_full`, so clients retry; `line`: the shared line's numbers, else this engine's. */
  private refuseFull(sink: JobSink, reason?: string, line?: { queueSize: number; maxSize: number | null }): void {
    const estimation = this.engine.queueEstimation();
    const numbers = line ?? { queueSize: estimation.queueSize, maxSize: this.options.maxSize };
    sendQueueFull(sink, queueFullFields(estimation, numbers), reason);
  }

  /**
   * The job left this process's line without an end here: another process took it, or it left the
   * shared line elsewhere. Returns it (its sink, its data) for whoever serves its client now; `undefined`
   * when it is unknown or was picked here (asked for its data: it belongs to this process and ends here).
   */
  release(id: JobId): HostJob | undefined {
    const job = this.jobs.forgetUnpicked(id);
    if (job !== undefined) this.dispatch(this.engine.release(id));
    return job;
  }

  /** Whether the job is here (held, waiting, or in a slot). */
  has(id: JobId): boolean {
    return this.jobs.has(id);
  }

  /** Slots the other processes of a shared queue have in all: ETAs count them (see `@crowdserve/queue`). */
  peers(slots: number): void {
    this.dispatch(this.engine.peers(slots));
  }

  /** A batch started on another process (for ETAs). */
  peerBatchStarted(key: string, fnIndex: number, size: number): void {
    this.dispatch(this.engine.peerBatchStarted(key, fnIndex, size));
  }

  /** A batch ended on another process: `seconds` of running, a service-time sample when `ok`. */
  peerBatchFinished(key: string, seconds: number, ok: boolean): void {
    this.dispatch(this.engine.peerBatchFinished(key, seconds, ok));
  }

  /** Whether the job was asked for its data and has not sent it yet. */
  isAwaitingData(id: JobId): boolean {
    return this.intake.isAwaiting(id);
  }

  /**
   * The job's data arrived (after `send_data`, which may come while it still waits: prefetch). It is
   * held until the job's batch starts, and dropped if the job ends first. Bad data ends the job with a
   * clear error.
   */
  receiveData(id: JobId, data: unknown[]): void {
    this.intake.receive(id, data);
  }

  /** Ends a job with an error message of the host's own; `refused`: because its data is bad. */
  fail(id: JobId, message: string, refused = false): void {
    const job = this.jobs.get(id);
    if (job === undefined) return;
    job.data = { state: 'failed', message, refused };
    this.dispatch(this.engine.cancel(id));
  }

  /** The job's client left or cancelled: remove it at once, or abort its batch. Unknown ids are ignored. */
  leave(id: JobId): void {
    if (!this.jobs.has(id)) return;
    this.dispatch(this.engine.cancel(id));
  }

  /** `GET /queue/status`. */
  queueStatus(): EstimationMessage {
    return estimationMessage(this.engine.queueEstimation());
  }

  /**
   * Calls whose handler runs past its timeout, or (an endpoint with `timeoutMs: null`) past
   * `DEFAULT_ENDPOINT_TIMEOUT_MS`: work no client waits for, or a slot that may never free. For `/healthz`, `/metrics`.
   */
  callsPastTimeout(): number {
    return this.batches.pastTimeout(this.clock(), DEFAULT_ENDPOINT_TIMEOUT_MS);
  }

  stats(): QueueStats {
    return this.engine.stats();
  }

  /** Sizes of every internal structure, the engine's included: all 0 when idle. */
  internalSizes(): Record<string, number> {
    return {
      ...this.engine.internalSizes(),
      hostBatches: this.batches.size,
      hostPendingEffects: this.drain.backlog,
      hostTickTimer: this.tick.pending ? 1 : 0,
      ...this.jobs.sizes(),
    };
  }

  /**
   * Refuses new joins, tells waiting jobs the server is going away, lets running batches finish.
   * Resolves when no batch runs; after `graceMs` the rest are aborted and their jobs fail.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.dispatch(this.engine.shutdown());
    if (!this.isIdle()) await this.idle.wait(graceMs);
    // Whatever is still there did not finish in time: fail it, so every job gets its terminal message.
    this.batches.abortAll();
    for (const id of this.jobs.ids()) this.fail(id, 'the server is shutting down');
    this.tick.clear();
  }

  private isIdle(): boolean {
    return this.batches.size === 0 && this.engine.stats().running === 0;
  }

  /** Executes effects in order; effects produced while executing queue behind (no re-entrant engine calls). */
  private dispatch(effects: Effect[]): void {
    this.drain.run(effects);
    this.idle.notify(() => this.isIdle());
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'reject': {
        const job = this.jobs.forget(effect.jobId);
        if (job !== undefined) sendReject(job, effect);
        return;
      }
      case 'estimate': {
        const job = this.jobs.get(effect.jobId);
        if (job !== undefined) sendEstimate(job.sink, effect.estimation);
        return;
      }
      case 'requestData':
        return this.intake.request(effect.jobId);
      case 'startBatch':
        return this.start(effect.batchId, effect.fnIndex, effect.jobIds, effect.expectedDuration);
      case 'abort':
        return this.batches.abort(effect.batchId, effect.reason);
      case 'end':
        return this.end(effect.jobId, effect.outcome);
      case 'scheduleTick':
        return this.tick.schedule(effect.at);
      case 'cancelTick':
        return this.tick.clear();
      default:
        assertNever(effect);
    }
  }

  private end(id: JobId, outcome: Extract<Effect, { type: 'end' }>['outcome']): void {
    const job = this.jobs.forget(id);
    if (job === undefined) return;
    const runMs = this.endpoints[job.fnIndex]?.queue.timeoutMs ?? null;
    sendEnd(job, outcome, { dataTimeoutMs: this.options.dataTimeoutMs, runMs, closing: this.closing });
  }

  private start(batchId: BatchId, fnIndex: number, jobIds: JobId[], expectedDuration: number | null): void {
    const endpoint = this.endpoints[fnIndex];
    if (endpoint === undefined) throw new UnknownEndpointError(`engine started unknown fn_index ${fnIndex}`);
    this.batches.start({ batchId, fnIndex, endpoint, jobIds, expectedDuration, ...this.jobs.start(jobIds) });
  }
}
