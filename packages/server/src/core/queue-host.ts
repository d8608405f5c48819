import type { EstimationMessage, ServerMessage } from '@crowdserve/protocol';
import {
  QueueEngine,
  type BatchId,
  type Effect,
  type Estimation,
  type JobId,
  type QueueStats,
} from '@crowdserve/queue';
import { CallAbortedError } from '../endpoint.js';
import { DEFAULT_ENDPOINT_TIMEOUT_MS, type ResolvedEndpoint } from './endpoints.js';
import { estimationMessage, failedMessage, outcomeMessage, rejectMessage } from './gradio3.js';
import { runBatch, type RunningBatch } from './run-batch.js';
import { errorMessage } from './handler-output.js';
import { ClientShare, tooManyWaitingReason } from './client-share.js';
import { PickedDataDeadlines } from './picked-data.js';
import { checkData } from './validate-data.js';

/** Where one job's messages go: a WebSocket, an HTTP response, a MessagePort. */
export interface JobSink {
  send(message: ServerMessage): void;
  /**
   * Optional: the job's place in line (an `estimation`), given as the engine made it, for a sink
   * that renders it only when it writes it: a round to a crowd then makes no message per waiting
   * job until written (the conversation keeps the numbers). Without it, estimations come to `send`
   * as messages.
   */
  estimate?(estimation: Estimation): void;
  /** Ends the conversation; called once, after the terminal message. */
  close(code: number, reason: string): void;
  /**
   * The job's data was refused (it failed the inputs check or the endpoint's `prepare`): called
   * instead of `send` with the failed `process_completed`, for transports that answer bad input their
   * own way (HTTP: 422). Without it, the sink gets that `process_completed`.
   */
  refused?(error: string): void;
}

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
  /** How long a picked job may take to send its data; `undefined`: `dataTimeoutMs`. @default undefined */
  pickedDataTimeoutMs?: number;
  /** Milliseconds, monotonic. */
  clock?: () => number;
  /** Called after every batch ends (metrics). */
  onBatchEnd?: (event: { fnIndex: number; size: number; seconds: number; ok: boolean }) => void;
}

interface HostJob {
  id: JobId;
  fnIndex: number;
  sink: JobSink;
  /** Data sent with the join (HTTP predict), handed over at `requestData`. */
  presetData: unknown[] | undefined;
  data: unknown[] | undefined;
  /** What the endpoint's `prepare` made of `data` (set before the engine hears the data arrived). */
  prepared: unknown;
  /** Set when the host itself ends the job with an error (bad data); sent instead of nothing. */
  failure: string | undefined;
  awaitingData: boolean;
  /** The failure is a refusal of the job's data (bad input), not the server's doing. */
  refused: boolean;
}

const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;

/**
 * The queue engine wired to the outside world, for any host (Node, browser): it keeps each job's
 * sink and data, runs handlers for `startBatch`, keeps one timer for `scheduleTick`, and turns the
 * engine's effects into wire messages. Transports (WebSocket, HTTP, MessagePort) only feed it.
 */
export class QueueHost {
  readonly endpoints: ResolvedEndpoint[];
  private readonly engine: QueueEngine;
  private readonly jobs = new Map<JobId, HostJob>();
  private readonly batches = new Map<BatchId, RunningBatch>();
  /** When each running batch started (clock ms), to tell the calls held past the default timeout. */
  private readonly batchStarts = new Map<BatchId, number>();
  /** Calls that passed their timeout and whose handler has not returned yet (it ignored its signal). */
  private abandonedCalls = 0;
  private readonly pending: Effect[] = [];
  private draining = false;
  private nextId = 1;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private tickAt = Infinity;
  private readonly clock: () => number;
  private readonly dataTimeoutMs: number;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  private idleTicking = false;
  private readonly share: ClientShare;
  private readonly pickedData: PickedDataDeadlines | undefined;

  constructor(private readonly options: QueueHostOptions) {
    this.endpoints = options.endpoints;
    this.clock = options.clock ?? (() => performance.now());
    this.dataTimeoutMs = options.dataTimeoutMs;
    this.engine = new QueueEngine({
      concurrencyCount: options.concurrencyCount,
      maxSize: options.maxSize,
      statusUpdateRate: options.statusUpdateRate,
      dataTimeoutMs: options.dataTimeoutMs,
      ...(options.prefetchData === undefined ? {} : { prefetchData: options.prefetchData }),
      endpoints: options.endpoints.map((e) => e.queue),
      clock: this.clock,
    });
    this.share = new ClientShare(options.maxWaitingPerClient ?? null);
    const picked = options.pickedDataTimeoutMs;
    this.pickedData =
      picked === undefined || picked >= options.dataTimeoutMs
        ? undefined
        : new PickedDataDeadlines(
            picked,
            (id) => this.engine.rank(id) !== undefined,
            (id) => {
              if (this.isAwaitingData(id))
                this.fail(id, `expected the job's data within ${picked / 1000} s of its turn`);
            },
          );
  }

  /**
   * Puts a job in the queue; its messages go to `sink`. With `data`, the job's data is already known
   * (HTTP predict) and is handed over when it is picked. `clients`: the keys its client is counted
   * under for `maxWaitingPerClient` (`ip:…`, `session:…`). Returns the job's id for `receiveData` / `leave`.
   */
  join(sink: JobSink, fnIndex: number, data?: unknown[], clients: readonly string[] = []): JobId {
    const id = String(this.nextId++);
    if (!this.closing && !this.share.admits(clients)) {
      this.refuseOverShare(sink);
      return id;
    }
    this.jobs.set(id, {
      id,
      fnIndex,
      sink,
      presetData: data,
      data: undefined,
      prepared: undefined,
      failure: undefined,
      awaitingData: false,
      refused: false,
    });
    this.share.add(id, clients);
    this.dispatch(this.engine.join(id, fnIndex));
    return id;
  }

  /** Like `queue_full`, so clients retry; told to wait until one of its jobs is likely to have started. */
  private refuseOverShare(sink: JobSink): void {
    const estimation = this.engine.queueEstimation();
    const limit = this.share.limit ?? 0;
    sink.send({
      msg: 'queue_full',
      queue_size: estimation.queueSize,
      ...(this.options.maxSize === null ? {} : { max_size: this.options.maxSize }),
      retry_after: Math.round(Math.max(1, estimation.avgEventConcurrentProcessTime ?? 1) * 1000) / 1000,
      reason: tooManyWaitingReason(limit),
    });
    sink.close(CLOSE_NORMAL, 'queue_full');
  }

  /** Whether the job was asked for its data and has not sent it yet. */
  isAwaitingData(id: JobId): boolean {
    return this.jobs.get(id)?.awaitingData === true;
  }

  /**
   * The job's data arrived (after `send_data`, which may come while it still waits: prefetch). It is
   * held until the job's batch starts, and dropped if the job ends first. Bad data ends the job with a
   * clear error.
   */
  receiveData(id: JobId, data: unknown[]): void {
    const job = this.jobs.get(id);
    if (job === undefined || !job.awaitingData) return;
    job.awaitingData = false;
    this.pickedData?.forget(id);
    const endpoint = this.endpoints[job.fnIndex];
    const problem = endpoint === undefined ? null : checkData(data, endpoint.definition.inputs);
    if (problem !== null) {
      this.fail(id, problem, true);
      return;
    }
    job.data = data;
    const prepare = endpoint?.definition.prepare;
    if (prepare === undefined) {
      this.dispatch(this.engine.dataReceived(id));
      return;
    }
    // The engine hears of the data only once it is prepared, so a batch never starts with an unprepared
    // member, and a request that fails to prepare ends alone (this.fail): its batch runs without it.
    let prepared: unknown;
    try {
      prepared = prepare(data);
    } catch (error) {
      this.fail(id, errorMessage(error), true);
      return;
    }
    const release = endpoint?.definition.releaseData === true;
    const settle = (value: unknown): void => {
      job.prepared = value;
      if (release) job.data = []; // what fn gets in its place (releaseData)
      this.dispatch(this.engine.dataReceived(id));
    };
    if (!isPromiseLike(prepared)) {
      settle(prepared);
      return;
    }
    Promise.resolve(prepared).then(
      (value) => {
        // The job may have ended meanwhile (its client left, its data timed out, shutdown).
        if (this.jobs.get(id) === job) settle(value);
      },
      (error: unknown) => {
        if (this.jobs.get(id) === job) this.fail(id, errorMessage(error), true);
      },
    );
  }

  /** Ends a job with an error message of the host's own; `refused`: because its data is bad. */
  fail(id: JobId, message: string, refused = false): void {
    const job = this.jobs.get(id);
    if (job === undefined) return;
    job.failure = message;
    job.refused = refused;
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
    const since = this.clock() - DEFAULT_ENDPOINT_TIMEOUT_MS;
    let held = 0;
    for (const started of this.batchStarts.values()) if (started <= since) held++;
    return this.abandonedCalls + held;
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
      hostPendingEffects: this.pending.length,
      hostTickTimer: this.tickTimer === undefined ? 0 : 1,
      ...this.share.sizes(),
      ...(this.pickedData?.sizes() ?? { pickedWatched: 0, pickedDeadlines: 0 }),
    };
  }

  /**
   * Refuses new joins, tells waiting jobs the server is going away, lets running batches finish.
   * Resolves when no batch runs; after `graceMs` the rest are aborted and their jobs fail.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    this.dispatch(this.engine.shutdown());
    if (this.batches.size > 0 || this.hasJobsInSlots()) {
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
    for (const batch of this.batches.values())
      batch.controller.abort(new CallAbortedError('SHUTDOWN', 'the server is shutting down'));
    for (const id of [...this.jobs.keys()]) this.fail(id, 'the server is shutting down');
    this.clearTick();
  }

  private hasJobsInSlots(): boolean {
    return this.engine.stats().running > 0;
  }

  /** Executes effects in order; effects produced while executing queue behind (no re-entrant engine calls). */
  private dispatch(effects: Effect[]): void {
    if (this.draining) {
      // One by one, not push(...effects): a round to a very long line is more effects than a call takes arguments.
      for (const effect of effects) this.pending.push(effect);
      return;
    }
    this.draining = true;
    let next = 0;
    let done = 0;
    try {
      // The engine's array itself, not a copy: a round is one effect per waiting job. By index, not
      // shift(), which would move the rest each time. Effects made meanwhile run after, in order.
      while (next < effects.length) this.execute(effects[next++] as Effect);
      while (done < this.pending.length) this.execute(this.pending[done++] as Effect);
    } finally {
      this.pending.splice(0, done);
      // An effect that threw leaves the rest of the engine's waiting, ahead of those made meanwhile.
      if (next < effects.length) {
        const rest = effects.slice(next);
        for (const effect of this.pending) rest.push(effect);
        this.pending.length = 0;
        for (const effect of rest) this.pending.push(effect);
      }
      this.draining = false;
    }
    this.pickedData?.look();
    if (this.idleWaiters.length > 0 && this.batches.size === 0 && !this.hasJobsInSlots()) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    // Gone idle with a tick still pending (the run timeout of a batch that has ended, now that every endpoint
    // has one): tick now instead, so the engine forgets it and an idle queue holds no timer. Once: a tick the
    // engine asks for again stays.
    if (this.jobs.size === 0 && this.batches.size === 0 && this.tickTimer !== undefined && !this.idleTicking) {
      this.idleTicking = true;
      this.clearTick();
      try {
        this.dispatch(this.engine.tick());
      } finally {
        this.idleTicking = false;
      }
    }
  }

  private execute(effect: Effect): void {
    switch (effect.type) {
      case 'reject': {
        const job = this.jobs.get(effect.jobId);
        if (job === undefined) return;
        this.jobs.delete(effect.jobId);
        this.share.release(effect.jobId);
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
      case 'requestData': {
        const job = this.jobs.get(effect.jobId);
        if (job === undefined) return;
        job.awaitingData = true;
        if (job.presetData !== undefined) {
          const data = job.presetData;
          job.presetData = undefined;
          this.receiveData(job.id, data);
        } else {
          this.pickedData?.asked(job.id);
          job.sink.send({ msg: 'send_data' });
        }
        return;
      }
      case 'startBatch':
        this.start(effect.batchId, effect.fnIndex, effect.jobIds, effect.expectedDuration);
        return;
      case 'abort': {
        const batch = this.batches.get(effect.batchId);
        if (batch === undefined) return;
        if (effect.reason === 'timeout') {
          // The engine has ended its members and freed its slot, and ignores its late finish: a handler
          // that never settles must not keep its entry here for the life of the process.
          this.batches.delete(effect.batchId);
          this.batchStarts.delete(effect.batchId);
          this.abandonedCalls++;
          batch.controller.abort(new CallAbortedError('TIMEOUT', 'the call timed out'));
        } else batch.controller.abort(new CallAbortedError('CANCELLED', 'every client of this call left'));
        return;
      }
      case 'end': {
        const job = this.jobs.get(effect.jobId);
        if (job === undefined) return;
        this.jobs.delete(effect.jobId);
        this.share.release(effect.jobId);
        this.pickedData?.forget(effect.jobId);
        const endpoint = this.endpoints[job.fnIndex];
        const message =
          job.failure !== undefined
            ? failedMessage(job.failure)
            : outcomeMessage(effect.outcome, { dataMs: this.dataTimeoutMs, runMs: endpoint?.queue.timeoutMs ?? null });
        if (job.failure !== undefined && job.refused && job.sink.refused !== undefined) job.sink.refused(job.failure);
        else if (message !== null) job.sink.send(message);
        job.sink.close(
          effect.outcome.status === 'shutdown' || this.closing ? CLOSE_GOING_AWAY : CLOSE_NORMAL,
          effect.outcome.status,
        );
        return;
      }
      case 'scheduleTick':
        this.scheduleTick(effect.at);
        return;
      default:
        assertNever(effect);
    }
  }

  private start(batchId: BatchId, fnIndex: number, jobIds: JobId[], expectedDuration: number | null): void {
    const endpoint = this.endpoints[fnIndex];
    if (endpoint === undefined) throw new Error(`engine started unknown fn_index ${fnIndex}`);
    const members = jobIds.map((id) => this.jobs.get(id));
    for (const id of jobIds) this.share.release(id);
    const startedAt = this.clock();
    const batch = runBatch({
      endpoint,
      requests: members.map((job) => job?.data ?? []),
      ...(endpoint.definition.prepare === undefined ? {} : { prepared: members.map((job) => job?.prepared) }),
      expectedDuration,
      send: (index, message) => {
        const job = this.jobs.get(jobIds[index] ?? '');
        job?.sink.send(message);
      },
      done: (outcome) => {
        // Gone from the map already: it timed out, and its handler has returned at last.
        if (!this.batches.delete(batchId)) this.abandonedCalls--;
        this.batchStarts.delete(batchId);
        const seconds = (this.clock() - startedAt) / 1000;
        this.options.onBatchEnd?.({ fnIndex, size: jobIds.length, seconds, ok: outcome.ok });
        this.dispatch(this.engine.batchFinished(batchId, outcome));
      },
    });
    this.batches.set(batchId, batch);
    this.batchStarts.set(batchId, startedAt);
  }

  private scheduleTick(at: number): void {
    if (at >= this.tickAt) return;
    this.clearTick();
    this.tickAt = at;
    this.tickTimer = setTimeout(
      () => {
        this.tickTimer = undefined;
        this.tickAt = Infinity;
        this.dispatch(this.engine.tick());
      },
      Math.max(0, at - this.clock()),
    );
    // A pending tick must not keep a Node process alive on its own.
    (this.tickTimer as { unref?: () => void }).unref?.();
  }

  private clearTick(): void {
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickAt = Infinity;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function assertNever(value: never): never {
  throw new Error(`unexpected effect ${JSON.stringify(value)}`);
}
