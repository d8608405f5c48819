import type { EstimationMessage } from '@crowdserve/protocol';
import type { JobId, QueueStats } from '@crowdserve/queue';
import type { ResolvedEndpoint } from '../../core/endpoints.js';
import type { JobSink } from '../../core/host-job.js';
import type { JobHost, SharedFigures } from '../../core/job-host.js';
import type { QueueHost } from '../../core/queue-host.js';
import { ClaimBatches } from './claim-batches.js';
import { DATA_AHEAD_WAVES, DataAhead } from './data-ahead.js';
import { JobStages } from './job-stages.js';
import type { LineEvent, LineJob, LineListener } from './line-types.js';
import { LiveProcesses } from './live-processes.js';
import { OwnJoins } from './own-joins.js';
import { parseRelayBody, type RelayBody } from './relay.js';
import { RemoteJobs } from './remote-jobs.js';
import { RelayOutbox } from './relay-outbox.js';
import { RunsElsewhere } from './runs-elsewhere.js';
import { PLACE_LOST_ERROR, RUNNER_GONE_ERROR, type SharedHostHooks, type SharedLine } from './shared-line.js';

export type { LineEvent, LineJob, LineListener } from './line-types.js';
export * from './shared-line.js';

export interface SharedHostOptions {
  line: SharedLine;
  /** This process's host, made with the hooks a shared queue needs (`claim`, batch hooks, `idPrefix`). */
  makeHost: (hooks: SharedHostHooks) => QueueHost;
  maxSize: number | null;
  /** This process's slots (its `concurrencyCount`). */
  slots: number;
  /** The line's lease: after a resync, a process missing from the live set is gone only if still missing this much later. */
  leaseMs: number;
  /** Where failures that reach no client are told (a relay that could not be sent). */
  log?: (message: string) => void;
}

/**
 * The queue host of a process that shares its line with others on Redis (issue 23). Its engine holds
 * the whole global line (joins are applied from the line's event stream only, so every process sees
 * one order) and only this process's slots. Joins are decided by the line (global `maxSize`); a job
 * picked here is claimed before its data is asked; the messages of a job run here for another
 * process's client travel through that process (relay), and the other way round.
 */
export class SharedHost implements JobHost {
  readonly endpoints: ResolvedEndpoint[];
  private readonly line: SharedLine;
  private readonly me: string;
  private readonly host: QueueHost;
  /** Every job from its join to its claim: own ones being decided, accepted, and the waiting line's copy. */
  private readonly stages = new JobStages();
  /** Jobs of other processes' clients known here (waiting in the copy, or running here). */
  private readonly remote: RemoteJobs;
  /** Own jobs that run elsewhere. */
  private readonly proxies = new RunsElsewhere((to, body) => this.relay(to, body));
  private readonly live: LiveProcesses;
  private readonly claims: ClaimBatches;
  private readonly outbox: RelayOutbox;
  /** Own jobs' data, made ready near the front of the line for whoever claims them. */
  private readonly ahead: DataAhead;
  private readonly joins: OwnJoins;
  /** How many jobs at the front of the line have their data made ready (DATA_AHEAD_WAVES of the pool). */
  private aheadWindow = 0;
  private closing = false;

  constructor(private readonly options: SharedHostOptions) {
    this.line = options.line;
    this.me = options.line.processId;
    this.live = new LiveProcesses(this.me, options.leaseMs, (peerSlots, gone) =>
      this.processesChanged(peerSlots, gone),
    );
    this.claims = new ClaimBatches(this.line, (id, data) => {
      this.stages.delete(id);
      this.remote.claimed(id, data);
    });
    this.ahead = new DataAhead(
      (id, data) => void (this.stages.ownerOf(id) === this.me && this.line.stash(id, data).catch(() => {})),
      (id, data) => this.receiveData(id, data),
    );
    this.outbox = new RelayOutbox(this.line, (to) => this.live.has(to));
    this.host = options.makeHost({
      // Unique across processes: a job's id is its name in Redis and in every process's copy of the line.
      idPrefix: `${this.me}.`,
      // A prefetched job would have to leave the shared line to be asked: each job is asked when picked.
      prefetchData: false,
      claim: (id) => this.claims.claim(id),
      onBatchStart: ({ batchId, fnIndex, size }) =>
        void this.line.batchStarted(`${this.me}.${batchId}`, fnIndex, size).catch(() => {}),
      onBatchEnd: ({ batchId, seconds, ok }) =>
        void this.line.batchFinished(`${this.me}.${batchId}`, seconds, ok).catch(() => {}),
    });
    this.endpoints = this.host.endpoints;
    this.remote = new RemoteJobs((to, body) => this.relay(to, body), this.host);
    const { line, stages, ahead, leaveLine } = this;
    this.joins = new OwnJoins({ host: this.host, line, maxSize: options.maxSize, stages, ahead, leaveLine });
  }

  /** What the line calls: its events in the line's order, and other processes' messages to this one. */
  readonly listener: LineListener = {
    event: (event) => this.event(event),
    relay: (from, body) => this.received(from, body),
  };

  join(sink: JobSink, fnIndex: number, data?: unknown[], clients: readonly string[] = []): JobId {
    // Closing: the engine refuses it (`shutting_down`).
    if (this.closing) return this.host.join(sink, fnIndex, data, clients);
    return this.joins.join(sink, fnIndex, data, clients);
  }

  admitted(id: JobId): Promise<void> | null {
    return this.stages.verdict(id);
  }

  isAwaitingData(id: JobId): boolean {
    return this.ahead.expecting(id) || (this.proxies.awaiting(id) ?? this.host.isAwaitingData(id));
  }

  receiveData(id: JobId, data: unknown[]): void {
    this.ahead.received(id, data);
    if (!this.proxies.receiveData(id, data)) this.host.receiveData(id, data);
  }

  fail(id: JobId, message: string, refused = false): void {
    if (!this.proxies.failOne(id, message, refused)) this.host.fail(id, message, refused);
  }

  leave(id: JobId): void {
    this.ahead.forget(id);
    if (this.proxies.cancel(id) || !this.host.has(id) || this.joins.leave(id)) return;
    const waiting = this.stages.ownerOf(id) !== undefined;
    this.host.leave(id);
    if (waiting) void this.leaveLine(id);
  }

  queueStatus(): EstimationMessage {
    return this.host.queueStatus();
  }

  callsPastTimeout(): number {
    return this.host.callsPastTimeout();
  }

  stats(): QueueStats {
    return this.host.stats();
  }

  sharedFigures(): SharedFigures {
    return { released: this.host.stats().released, relayOutbox: this.outbox.size, liveProcesses: this.live.size };
  }

  internalSizes(): Record<string, number> {
    return {
      ...this.host.internalSizes(),
      sharedStages: this.stages.size,
      sharedAhead: this.ahead.size,
      sharedRemote: this.remote.size,
      sharedProxies: this.proxies.size,
      sharedPendingClaims: this.claims.size,
      sharedOutbox: this.outbox.size,
    };
  }

  /**
   * Refuses new joins; takes this process's jobs out of the shared line (they get the shutdown's
   * message) and forgets the others' waiting ones (their own processes serve them); lets the jobs
   * running here, and this process's jobs running elsewhere, finish (up to `graceMs`); then leaves.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    for (const [id, owner] of this.stages.waiting()) {
      if (owner === this.me) void this.leaveLine(id);
      else this.remote.forget(id);
    }
    const started = performance.now();
    await this.host.shutdown(graceMs);
    await this.proxies.ended(Math.max(0, graceMs - (performance.now() - started)));
    this.proxies.fail(() => true, 'the server is shutting down', 1001, true);
    this.outbox.close();
    this.live.close();
    await this.line.close();
  }

  private event(event: LineEvent): void {
    this.apply(event);
    // Own jobs near the front get their data ready for whoever claims them.
    this.ahead.due(this.stages.front(this.aheadWindow, this.me));
  }

  private apply(event: LineEvent): void {
    switch (event.type) {
      case 'join':
        return this.joined(event.job);
      case 'leave':
        return this.left(event.id);
      case 'claim':
        return this.claimed(event.id, event.claimer);
      case 'batchStarted':
        if (event.process !== this.me) this.host.peerBatchStarted(event.key, event.fnIndex, event.size);
        return;
      case 'batchFinished':
        if (event.process !== this.me) this.host.peerBatchFinished(event.key, event.seconds, event.ok);
        return;
      case 'processes':
        return this.live.update(event.processes);
      case 'resync':
        this.live.resynced();
        return this.resync(event.jobs);
    }
  }

  private relay(to: string, body: RelayBody): void {
    this.outbox.send(to, body);
  }

  private joined(job: LineJob): void {
    if (this.closing) return;
    if (job.owner === this.me) {
      // Own jobs enter the engine here, in the line's order, not when Redis answered the join (the
      // answer and the event come on different connections, in either order).
      if (!this.stages.pending(job.id) || !this.host.has(job.id)) return;
      this.stages.set(job.id, { at: 'waiting', owner: job.owner });
      this.host.enter(job.id);
      return;
    }
    if (this.remote.enter(job)) this.stages.set(job.id, { at: 'waiting', owner: job.owner });
  }

  private left(id: JobId): void {
    const owner = this.stages.takeWaiting(id);
    if (owner === undefined) return;
    if (owner !== this.me) return this.remote.forget(id);
    // Our own job, taken out of the line by someone else (this process's lease ran out): say so.
    if (this.host.has(id)) this.host.fail(id, PLACE_LOST_ERROR);
  }

  private claimed(id: JobId, claimer: string): void {
    if (claimer === this.me) return;
    const owner = this.stages.takeWaiting(id);
    if (owner === undefined) return;
    if (owner !== this.me) return this.remote.forget(id);
    const job = this.host.release(id);
    if (job === undefined) return; // it ended here meanwhile: the runner's ask for data is answered `cancel`
    const preset = job.data.state === 'waiting' || job.data.state === 'claiming' ? job.data.preset : undefined;
    this.proxies.add(id, { runner: claimer, sink: job.sink, preset, awaiting: false });
  }

  /** The live set changed: ETAs count the others' slots; the jobs tied to a gone process end. */
  private processesChanged(peerSlots: number, gone: string[]): void {
    this.host.peers(peerSlots);
    const maxBatch = Math.max(1, ...this.endpoints.map((endpoint) => endpoint.queue.maxBatchSize ?? 1));
    this.aheadWindow = DATA_AHEAD_WAVES * (this.options.slots + peerSlots) * maxBatch;
    if (gone.length === 0) return;
    const isGone = new Set(gone);
    for (const id of gone) this.outbox.drop(id);
    // Jobs run here for clients of a gone process: nobody is left to tell; abort them.
    for (const id of this.remote.ownedBy(isGone)) {
      this.stages.delete(id);
      this.remote.abort(id);
    }
    // Own jobs a gone process was running: their clients hear why.
    this.proxies.fail((run) => isGone.has(run.runner), RUNNER_GONE_ERROR, 1000);
  }

  /** The stream broke: drop what the line no longer holds, add what is missing at the back, never reorder. */
  private resync(jobs: LineJob[]): void {
    const listed = new Map(jobs.map((job) => [job.id, job]));
    for (const [id] of this.stages.waiting()) if (!listed.has(id)) this.left(id);
    for (const job of [...jobs].sort((a, b) => a.ticket - b.ticket)) {
      if (this.stages.ownerOf(job.id) !== undefined) continue;
      // An own job the line holds that this process forgot (its client left while Redis was away): out.
      if (job.owner === this.me && !this.host.has(job.id)) void this.leaveLine(job.id);
      else this.joined(job);
    }
  }

  private received(from: string, raw: unknown): void {
    const body = parseRelayBody(raw);
    if (body === null) return this.options.log?.(`crowdserve: a malformed message from process ${from} was dropped`);
    const { id } = body;
    switch (body.t) {
      case 'data':
        return this.remote.data(id, body.data);
      case 'cancel':
        return this.remote.abort(id);
      case 'send':
      case 'refused':
      case 'close':
        return this.toClient(from, body);
    }
  }

  /** A runner's message for one of this process's clients. */
  private toClient(from: string, body: Extract<RelayBody, { t: 'send' | 'refused' | 'close' }>): void {
    // The runner's first message may come before the line's `claim` event (another connection): it is the claim.
    if (!this.proxies.has(body.id) && this.stages.ownerOf(body.id) === this.me) this.claimed(body.id, from);
    this.proxies.deliver(from, body, (reply) => this.relay(from, reply));
  }

  private readonly leaveLine = (id: JobId): Promise<void> => {
    this.stages.delete(id);
    return this.line.leave(id).catch(() => {});
  };
}
