import { assertNever } from '@crowdserve/protocol';
import { UnknownEndpointError } from '../errors.js';
import type { EstimationMessage } from '@crowdserve/protocol';
import { QueueEngine, type BatchId, type Effect, type JobId, type QueueStats } from '@crowdserve/queue';
import { CallAbortedError } from '../endpoint.js';
import { ClientShare, tooManyWaitingReason } from './client-share.js';
import { takeData } from './data-intake.js';
import { EffectDrain } from './effect-drain.js';
import { DEFAULT_ENDPOINT_TIMEOUT_MS, type ResolvedEndpoint } from './endpoints.js';
import { estimationMessage, failedMessage, outcomeMessage, queueFullMessage, rejectMessage } from './gradio3.js';
import type { HostJob, JobSink } from './host-job.js';
import type { JobHost } from './job-host.js';
import { runBatch } from './run-batch.js';
import { RunningBatches } from './running-batches.js';
import { TickTimer } from './tick-timer.js';

export type { JobSink } from './host-job.js';
export type { JobHost } from './job-host.js';

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

const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;

/**
 * The queue engine wired to the outside world, for any host (Node, browser): it keeps each job's
 * sink and data, runs handlers for `startBatch`, keeps one timer for `scheduleTick`, and turns the
 * engine's effects into wire messages. Transports (WebSocket, HTTP, MessagePort, SSE) only feed it.
 */
export class QueueHost implements JobHost {
  readonly endpoints: ResolvedEndpoint[];
  private readonly engine: QueueEngine;
  private readonly jobs = new Map<JobId, HostJob>();
  private readonly batches = new RunningBatches();
  private readonly drain = new EffectDrain<Effect>((effect) => this.execute(effect));
  private readonly tick: TickTimer;
  private nextId = 1;
  private readonly clock: () => number;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly share: ClientShare;

  constructor(private readonly options: QueueHostOptions) {
    this.endpoints = options.endpoints;
    this.clock = options.clock ?? (() => performance.now());
    this.tick = new TickTimer(this.clock, () => this.dispatch(this.engine.tick()));
    this.engine = new QueueEngine({
      concurrencyCount: options.concurrencyCount,
      maxSize: options.maxSize,
      statusUpdateRate: options.statusUpdateRate,
      dataTimeoutMs: options.dataTimeoutMs,
      ...(options.prefetchData === undefined ? {} : { prefetchData: options.prefetchData }),
      ...(options.pickedDataTimeoutMs === undefined ? {} : { pickedDataTimeoutMs: options.pickedDataTimeoutMs }),
      endpoints: options.endpoints.map((e) => e.queue),
      clock: this.clock,
    });
    this.share = new ClientShare(options.maxWaitingPerClient ?? null);
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
    if (!this.closing && !this.share.admits(clients)) {
      this.refuseFull(sink, tooManyWaitingReason(this.share.limit ?? 0));
      return { id, held: false };
    }
    this.jobs.set(id, { id, fnIndex, sink, data: { state: 'waiting', preset: data } });
    this.share.add(id, clients);
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
    this.jobs.set(id, { id, fnIndex, sink, data: { state: 'waiting', preset: undefined } });
    this.dispatch(this.engine.join(id, fnIndex));
  }

  /**
   * A held job the shared line refused: `queue_full`, so its client retries. `line`: the line's own
   * numbers (its size, its maxSize), where this engine's are not the queue's.
   */
  refuseHeld(id: JobId, line: { queueSize: number; maxSize: number | null }, reason?: string): void {
    const job = this.forget(id);
    if (job !== undefined) this.refuseFull(job.sink, reason, line);
  }

  /** Like `queue_full`, so clients retry; told to wait until one of its jobs is likely to have started. */
  private refuseFull(sink: JobSink, reason?: string, line?: { queueSize: number; maxSize: number | null }): void {
    const estimation = this.engine.queueEstimation();
    const fields = {
      queueSize: line?.queueSize ?? estimation.queueSize,
      maxSize: line === undefined ? this.options.maxSize : line.maxSize,
      retryAfter: Math.max(1, estimation.avgEventConcurrentProcessTime ?? 1),
    };
    sink.send(queueFullMessage(fields, reason));
    sink.close(CLOSE_NORMAL, 'queue_full');
  }

  /**
   * The job left this process's line without an end here: another process took it, or it left the
   * shared line elsewhere. Returns it (its sink, its data) for whoever serves its client now; `undefined`
   * when it is unknown or was picked here (asked for its data: it belongs to this process and ends here).
   */
  release(id: JobId): HostJob | undefined {
    const job = this.jobs.get(id);
    if (job === undefined || (job.data.state !== 'waiting' && job.data.state !== 'claiming')) return undefined;
    this.forget(id);
    this.dispatch(this.engine.release(id));
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
    return this.jobs.get(id)?.data.state === 'awaiting';
  }

  /**
   * The job's data arrived (after `send_data`, which may come while it still waits: prefetch). It is
   * held until the job's batch starts, and dropped if the job ends first. Bad data ends the job with a
   * clear error.
   */
  receiveData(id: JobId, data: unknown[]): void {
    const job = this.jobs.get(id);
    if (job?.data.state !== 'awaiting') return;
    const endpoint = this.endpoints[job.fnIndex];
    // The job may have ended meanwhile (its client left, its data timed out, shutdown): then nothing is done.
    const current = () => this.jobs.get(id) === job;
    takeData(endpoint, data, {
      accepted: (checked) => (job.data = { state: 'preparing', data: checked }),
      ready: (prepared) => {
        if (!current() || job.data.state !== 'preparing') return;
        // What fn gets in the raw data's place once `prepare` has made what it needs of it (`releaseData`).
        const definition = endpoint?.definition;
        const release = definition?.prepare !== undefined && definition.releaseData === true;
        const kept = release ? [] : job.data.data;
        job.data = { state: 'ready', data: kept, prepared };
        this.dispatch(this.engine.dataReceived(id));
      },
      refused: (message) => {
        if (current()) this.fail(id, message, true);
      },
    });
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
      hostJobs: this.jobs.size,
      hostBatches: this.batches.size,
      hostPendingEffects: this.drain.backlog,
      hostTickTimer: this.tick.pending ? 1 : 0,
      ...this.share.sizes(),
    };
  }

  /**
   * Refuses new joins, tells waiting jobs the server is going away, lets running batches finish.
   * Resolves when no batch runs; after `graceMs` the rest are aborted and their jobs fail.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.dispatch(this.engine.shutdown());
    if (!this.isIdle()) {
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(grace);
    }
    // Whatever is still there did not finish in time: fail it, so every job gets its terminal message.
    for (const batch of this.batches.runs())
      batch.controller.abort(new CallAbortedError('SHUTDOWN', 'the server is shutting down'));
    for (const id of [...this.jobs.keys()]) this.fail(id, 'the server is shutting down');
    this.tick.clear();
  }

  private isIdle(): boolean {
    return this.batches.size === 0 && this.engine.stats().running === 0;
  }

  /** Executes effects in order; effects produced while executing queue behind (no re-entrant engine calls). */
  private dispatch(effects: Effect[]): void {
    this.drain.run(effects);
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'reject': {
        const job = this.forget(effect.jobId);
        if (job === undefined) return;
        job.sink.send(rejectMessage(effect.reason, { ...effect, fnIndex: job.fnIndex }));
        job.sink.close(CLOSE_NORMAL, effect.reason);
        return;
      }
      case 'estimate': {
        const sink = this.jobs.get(effect.jobId)?.sink;
        if (sink?.estimate !== undefined) sink.estimate(effect.estimation);
        else sink?.send(estimationMessage(effect.estimation));
        return;
      }
      case 'requestData':
        return this.requestData(effect.jobId);
      case 'startBatch':
        return this.start(effect.batchId, effect.fnIndex, effect.jobIds, effect.expectedDuration);
      case 'abort':
        return this.abort(effect.batchId, effect.reason);
      case 'end': {
        const job = this.forget(effect.jobId);
        if (job === undefined) return;
        this.end(job, effect.outcome);
        return;
      }
      case 'scheduleTick':
        return this.tick.schedule(effect.at);
      case 'cancelTick':
        return this.tick.clear();
      default:
        assertNever(effect);
    }
  }

  private forget(id: JobId): HostJob | undefined {
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    this.share.release(id);
    return job;
  }

  private requestData(id: JobId): void {
    const job = this.jobs.get(id);
    if (job?.data.state !== 'waiting') return;
    const claim = this.options.claim;
    if (claim !== undefined) {
      job.data = { state: 'claiming', preset: job.data.preset };
      claim(id).then(
        (won) => {
          if (this.jobs.get(id) !== job || job.data.state !== 'claiming') return;
          if (won) {
            job.data = { state: 'waiting', preset: job.data.preset };
            this.askData(job);
          } else this.dispatch(this.engine.release(id)); // kept until the line says who took it (`release`)
        },
        (error: unknown) => {
          if (this.jobs.get(id) !== job) return;
          this.fail(
            id,
            `the shared queue could not be reached: ${error instanceof Error ? error.message : String(error)}`,
          );
        },
      );
      return;
    }
    this.askData(job);
  }

  private askData(job: HostJob): void {
    if (job.data.state !== 'waiting') return;
    const { id } = job;
    const preset = job.data.preset;
    job.data = { state: 'awaiting' };
    if (preset !== undefined) this.receiveData(id, preset);
    else job.sink.send({ msg: 'send_data' });
  }

  private abort(batchId: BatchId, reason: Extract<Effect, { type: 'abort' }>['reason']): void {
    if (reason === 'timeout') {
      // The engine has ended its members and freed its slot, and ignores its late finish.
      this.batches.abandon(batchId)?.controller.abort(new CallAbortedError('TIMEOUT', 'the call timed out'));
    } else {
      this.batches.get(batchId)?.controller.abort(new CallAbortedError('CANCELLED', 'every client of this call left'));
    }
  }

  private end(job: HostJob, outcome: Extract<Effect, { type: 'end' }>['outcome']): void {
    const { sink, data } = job;
    if (data.state === 'failed' && data.refused && sink.refused !== undefined) sink.refused(data.message);
    else {
      const endpoint = this.endpoints[job.fnIndex];
      // A data timeout says which deadline passed: dataTimeoutMs, or pickedDataTimeoutMs once picked.
      const dataMs =
        outcome.status === 'timeout' && outcome.phase === 'data' ? outcome.limitMs : this.options.dataTimeoutMs;
      const message =
        data.state === 'failed'
          ? failedMessage(data.message)
          : outcomeMessage(outcome, { dataMs, runMs: endpoint?.queue.timeoutMs ?? null });
      if (message !== null) sink.send(message);
    }
    sink.close(outcome.status === 'shutdown' || this.closing ? CLOSE_GOING_AWAY : CLOSE_NORMAL, outcome.status);
  }

  private start(batchId: BatchId, fnIndex: number, jobIds: JobId[], expectedDuration: number | null): void {
    const endpoint = this.endpoints[fnIndex];
    if (endpoint === undefined) throw new UnknownEndpointError(`engine started unknown fn_index ${fnIndex}`);
    const members = jobIds.map((id) => this.jobs.get(id)?.data);
    for (const id of jobIds) this.share.release(id);
    const startedAt = this.clock();
    this.options.onBatchStart?.({ batchId, fnIndex, size: jobIds.length });
    const run = runBatch({
      endpoint,
      requests: members.map((data) => (data?.state === 'ready' ? data.data : [])),
      ...(endpoint.definition.prepare === undefined
        ? {}
        : { prepared: members.map((data) => (data?.state === 'ready' ? data.prepared : undefined)) }),
      expectedDuration,
      send: (index, message) => this.jobs.get(jobIds[index] ?? '')?.sink.send(message),
      done: (outcome) => {
        this.batches.finish(batchId);
        const seconds = (this.clock() - startedAt) / 1000;
        this.options.onBatchEnd?.({ batchId, fnIndex, size: jobIds.length, seconds, ok: outcome.ok });
        this.dispatch(this.engine.batchFinished(batchId, outcome));
      },
    });
    this.batches.add(batchId, run, startedAt);
  }
}
