import type { EstimationMessage } from '@crowdserve/protocol';
import type { JobId, QueueStats } from '@crowdserve/queue';
import type { ResolvedEndpoint } from '../../core/endpoints.js';
import { failedMessage } from '../../core/gradio3.js';
import type { JobSink } from '../../core/host-job.js';
import type { JobHost } from '../../core/job-host.js';
import type { QueueHost } from '../../core/queue-host.js';
import type { LineEvent, LineJob, LineListener } from './line-types.js';
import { parseRelayBody, RelaySink, type RelayBody } from './relay.js';

export type { LineEvent, LineJob, LineListener } from './line-types.js';

/** What this host needs of the shared line (`RedisLine`). */
export interface SharedLine {
  readonly processId: string;
  join(
    id: string,
    fnIndex: number,
    maxSize: number | null,
  ): Promise<{ accepted: true; ticket: number } | { accepted: false; queueSize: number }>;
  leave(id: string): Promise<void>;
  claim(ids: string[]): Promise<string[]>;
  batchStarted(key: string, fnIndex: number, size: number): Promise<void>;
  batchFinished(key: string, seconds: number, ok: boolean): Promise<void>;
  /** `false`: dropped, `to` is not in the live set (gone, or not registered again yet after a Redis restart). */
  send(to: string, body: unknown): Promise<boolean>;
  close(): Promise<void>;
}

/** The refusal's reason when Redis cannot be asked: a `queue_full`, so clients retry. */
export const SHARED_QUEUE_UNAVAILABLE_REASON = 'the shared queue cannot be reached right now; try again';
/** The error a client gets when the process running its job stops (killed, lost its lease). */
export const RUNNER_GONE_ERROR = 'the server process running this job stopped';
/** How often messages to other processes that could not be sent (Redis away) are tried again. */
export const RELAY_RETRY_MS = 250;
/** The error a waiting client gets when the shared line dropped its job (this process lost its lease). */
export const PLACE_LOST_ERROR = 'this job lost its place in the shared queue; submit it again';

/** The parts of `QueueHostOptions` the shared host fills in. */
export interface SharedHostHooks {
  idPrefix: string;
  prefetchData: false;
  claim: (id: JobId) => Promise<boolean>;
  onBatchStart: (event: { batchId: number; fnIndex: number; size: number }) => void;
  onBatchEnd: (event: { batchId: number; seconds: number; ok: boolean }) => void;
}

/** An own job that another process runs: its client is here, its messages come from `runner`. */
interface Proxy {
  runner: string;
  sink: JobSink;
  /** What came with the join (`sse_v3`, HTTP predict): handed over when asked, without the client. */
  preset: unknown[] | undefined;
  /** `send_data` was passed on to the client, whose answer goes to the runner. */
  awaiting: boolean;
}

export interface SharedHostOptions {
  line: SharedLine;
  /** This process's host, made with the hooks a shared queue needs (`claim`, batch hooks, `idPrefix`). */
  makeHost: (hooks: SharedHostHooks) => QueueHost;
  maxSize: number | null;
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
  /** Own jobs the line has not decided on yet, and their verdict. */
  private readonly admitting = new Map<JobId, Promise<void>>();
  /** Own jobs accepted by the line, not yet in the engine (their `join` event is on its way). */
  private readonly accepted = new Set<JobId>();
  /** Jobs of the global line as this process's copy holds them: id → owner. */
  private readonly inLine = new Map<JobId, string>();
  /** Jobs of other processes' clients known here (waiting in the copy, or running here). */
  private readonly remote = new Map<JobId, RelaySink>();
  /** Own jobs that run elsewhere. */
  private readonly proxies = new Map<JobId, Proxy>();
  /** The processes this one counts as alive, and their slots. */
  private live = new Map<string, number>();
  /** Until then (after a resync: Redis restarted), processes missing from the live set may still come back. */
  private graceUntil = 0;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private lastProcesses: { id: string; slots: number }[] = [];
  private readonly pendingClaims: { id: JobId; settle: (won: boolean) => void; fail: (error: unknown) => void }[] = [];
  /** Messages to other processes that could not be sent yet (Redis away), in order, per process. */
  private readonly outbox = new Map<string, { seq: number; body: RelayBody }[]>();
  /** Numbers every message sent, so one that failed goes back in its place among those behind it. */
  private relaySeq = 0;
  private outboxTimer: ReturnType<typeof setTimeout> | undefined;
  private closing = false;
  private proxiesDrained: (() => void) | undefined;

  constructor(private readonly options: SharedHostOptions) {
    this.line = options.line;
    this.me = options.line.processId;
    this.host = options.makeHost({
      // Unique across processes: a job's id is its name in Redis and in every process's copy of the line.
      idPrefix: `${this.me}.`,
      // A prefetched job would have to leave the shared line to be asked: each job is asked when picked.
      prefetchData: false,
      claim: (id) => this.claim(id),
      onBatchStart: ({ batchId, fnIndex, size }) =>
        void this.line.batchStarted(`${this.me}.${batchId}`, fnIndex, size).catch(() => {}),
      onBatchEnd: ({ batchId, seconds, ok }) =>
        void this.line.batchFinished(`${this.me}.${batchId}`, seconds, ok).catch(() => {}),
    });
    this.endpoints = this.host.endpoints;
  }

  /** What the line calls: its events in the line's order, and other processes' messages to this one. */
  readonly listener: LineListener = {
    event: (event) => this.event(event),
    relay: (from, body) => this.received(from, body),
  };

  // ---- what the transports call ----

  join(sink: JobSink, fnIndex: number, data?: unknown[], clients: readonly string[] = []): JobId {
    // Closing: the engine refuses it (`shutting_down`).
    if (this.closing) return this.host.join(sink, fnIndex, data, clients);
    const { id, held } = this.host.hold(sink, fnIndex, data, clients);
    if (!held) return id;
    const verdict = this.line.join(id, fnIndex, this.options.maxSize).then(
      (answer) => {
        if (!answer.accepted) this.host.refuseHeld(id, { queueSize: answer.queueSize, maxSize: this.options.maxSize });
        else if (!this.host.has(id))
          void this.leaveLine(id); // its client left while Redis decided
        else if (!this.inLine.has(id)) this.accepted.add(id); // its `join` event is on its way
      },
      () =>
        this.host.refuseHeld(
          id,
          { queueSize: this.host.stats().waiting, maxSize: this.options.maxSize },
          SHARED_QUEUE_UNAVAILABLE_REASON,
        ),
    );
    this.admitting.set(id, verdict);
    void verdict.finally(() => this.admitting.delete(id));
    return id;
  }

  admitted(id: JobId): Promise<void> | null {
    return this.admitting.get(id) ?? null;
  }

  isAwaitingData(id: JobId): boolean {
    const proxy = this.proxies.get(id);
    return proxy !== undefined ? proxy.awaiting : this.host.isAwaitingData(id);
  }

  receiveData(id: JobId, data: unknown[]): void {
    const proxy = this.proxies.get(id);
    if (proxy === undefined) return this.host.receiveData(id, data);
    if (!proxy.awaiting) return;
    proxy.awaiting = false;
    this.relay(proxy.runner, { t: 'data', id, data });
  }

  fail(id: JobId, message: string, refused = false): void {
    const proxy = this.proxies.get(id);
    if (proxy === undefined) return this.host.fail(id, message, refused);
    this.dropProxy(id);
    this.relay(proxy.runner, { t: 'cancel', id });
    if (refused && proxy.sink.refused !== undefined) proxy.sink.refused(message);
    else proxy.sink.send(failedMessage(message));
    proxy.sink.close(1000, 'error');
  }

  leave(id: JobId): void {
    const proxy = this.proxies.get(id);
    if (proxy !== undefined) {
      this.dropProxy(id);
      this.relay(proxy.runner, { t: 'cancel', id });
      return;
    }
    if (!this.host.has(id)) return;
    if (this.admitting.has(id) || this.accepted.has(id)) {
      // Not in the engine yet: forget it here; out of the line now, or when `join`'s verdict sees it gone.
      this.host.release(id)?.sink.close(1000, 'cancelled');
      if (this.accepted.delete(id)) void this.leaveLine(id);
      return;
    }
    const waiting = this.inLine.has(id);
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

  internalSizes(): Record<string, number> {
    return {
      ...this.host.internalSizes(),
      sharedAdmitting: this.admitting.size,
      sharedAccepted: this.accepted.size,
      sharedInLine: this.inLine.size,
      sharedRemote: this.remote.size,
      sharedProxies: this.proxies.size,
      sharedPendingClaims: this.pendingClaims.length,
      sharedOutbox: [...this.outbox.values()].reduce((sum, queued) => sum + queued.length, 0),
    };
  }

  /**
   * Refuses new joins; takes this process's jobs out of the shared line (they get the shutdown's
   * message) and forgets the others' waiting ones (their own processes serve them); lets the jobs
   * running here, and this process's jobs running elsewhere, finish (up to `graceMs`); then leaves.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    for (const [id, owner] of [...this.inLine]) {
      if (owner === this.me) void this.leaveLine(id);
      else this.forgetRemote(id);
    }
    const started = performance.now();
    await this.host.shutdown(graceMs);
    await this.proxiesDone(Math.max(0, graceMs - (performance.now() - started)));
    for (const [id, proxy] of [...this.proxies]) {
      this.dropProxy(id);
      this.relay(proxy.runner, { t: 'cancel', id });
      proxy.sink.send(failedMessage('the server is shutting down'));
      proxy.sink.close(1001, 'shutdown');
    }
    clearTimeout(this.outboxTimer);
    clearTimeout(this.graceTimer);
    this.outbox.clear();
    await this.line.close();
  }

  /** Resolves when no own job runs elsewhere any more, or after `withinMs`. */
  private async proxiesDone(withinMs: number): Promise<void> {
    if (this.proxies.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.proxiesDrained = resolve;
      timer = setTimeout(resolve, withinMs);
    });
    clearTimeout(timer);
    this.proxiesDrained = undefined;
  }

  private dropProxy(id: JobId): void {
    this.proxies.delete(id);
    if (this.proxies.size === 0) this.proxiesDrained?.();
  }

  // ---- what the engine's host asks (QueueHost `claim`, batch hooks) ----

  /** Claims picked jobs in one round trip per turn of the event loop. */
  private claim(id: JobId): Promise<boolean> {
    return new Promise((settle, fail) => {
      this.pendingClaims.push({ id, settle, fail });
      if (this.pendingClaims.length === 1) queueMicrotask(() => this.flushClaims());
    });
  }

  private flushClaims(): void {
    const claims = this.pendingClaims.splice(0);
    this.line.claim(claims.map((claim) => claim.id)).then(
      (won) => {
        const winners = new Set(won);
        for (const claim of claims) {
          if (winners.has(claim.id)) this.inLine.delete(claim.id);
          claim.settle(winners.has(claim.id));
        }
      },
      (error: unknown) => {
        for (const claim of claims) claim.fail(error);
      },
    );
  }

  // ---- what the line says (the listener) ----

  private event(event: LineEvent): void {
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
        return this.processesChanged(event.processes);
      case 'resync':
        this.graceUntil = performance.now() + this.options.leaseMs;
        return this.resync(event.jobs);
    }
  }

  /**
   * Sends a message to another process. One that cannot be sent (Redis away) waits in the outbox, with
   * every later one to that process behind it, and is tried again until it goes or the process is gone:
   * a job that finished while Redis was away still reaches its client.
   */
  private relay(to: string, body: RelayBody): void {
    const message = { seq: this.relaySeq++, body };
    const queued = this.outbox.get(to);
    if (queued !== undefined) {
      queued.push(message);
      return;
    }
    this.line.send(to, body).then(
      (sent) => {
        if (!sent && this.live.has(to)) this.postpone(to, message);
      },
      () => this.postpone(to, message),
    );
  }

  /** A message that could not be sent: into the outbox, before every later message to that process. */
  private postpone(to: string, message: { seq: number; body: RelayBody }): void {
    const queued = this.outbox.get(to) ?? [];
    this.outbox.set(to, queued);
    const at = queued.findIndex((other) => other.seq > message.seq);
    queued.splice(at === -1 ? queued.length : at, 0, message);
    this.outboxTimer ??= setTimeout(() => void this.flushOutbox(), RELAY_RETRY_MS);
  }

  private async flushOutbox(): Promise<void> {
    this.outboxTimer = undefined;
    for (const [to, queued] of this.outbox) {
      while (queued.length > 0) {
        const sent = await this.line.send(to, queued[0]!.body).catch(() => null);
        if (sent === null) break; // Redis still away
        if (!sent && this.live.has(to)) break; // not registered again yet
        queued.shift();
      }
      if (queued.length === 0 && this.outbox.get(to) === queued) this.outbox.delete(to);
    }
    if (this.outbox.size > 0 && !this.closing)
      this.outboxTimer = setTimeout(() => void this.flushOutbox(), RELAY_RETRY_MS);
  }

  private joined(job: LineJob): void {
    if (this.closing) return;
    if (job.owner === this.me) {
      // Own jobs enter the engine here, in the line's order, not when Redis answered the join (the
      // answer and the event come on different connections, in either order).
      const known = this.accepted.delete(job.id) || this.admitting.has(job.id);
      if (!known || !this.host.has(job.id) || this.inLine.has(job.id)) return;
      this.inLine.set(job.id, job.owner);
      this.host.enter(job.id);
      return;
    }
    if (this.remote.has(job.id)) return;
    const sink = new RelaySink(
      job.owner,
      job.id,
      (to, body) => this.relay(to, body),
      () => this.remote.delete(job.id),
    );
    this.remote.set(job.id, sink);
    this.inLine.set(job.id, job.owner);
    this.host.enterRemote(job.id, job.fnIndex, sink);
  }

  private left(id: JobId): void {
    const owner = this.inLine.get(id);
    this.inLine.delete(id);
    if (owner === undefined) return;
    if (owner !== this.me) return this.forgetRemote(id);
    // Our own job, taken out of the line by someone else (this process's lease ran out): say so.
    if (this.host.has(id)) this.host.fail(id, PLACE_LOST_ERROR);
  }

  private claimed(id: JobId, claimer: string): void {
    if (claimer === this.me) return;
    const owner = this.inLine.get(id);
    this.inLine.delete(id);
    if (owner === undefined) return;
    if (owner !== this.me) return this.forgetRemote(id);
    const job = this.host.release(id);
    if (job === undefined) return; // it ended here meanwhile: the runner's ask for data is answered `cancel`
    const preset = job.data.state === 'waiting' || job.data.state === 'claiming' ? job.data.preset : undefined;
    this.proxies.set(id, { runner: claimer, sink: job.sink, preset, awaiting: false });
  }

  /** A job of another process left this process's copy of the line (it never was picked here). */
  private forgetRemote(id: JobId): void {
    const sink = this.remote.get(id);
    if (sink === undefined || this.host.release(id) === undefined) return;
    sink.silence();
    this.remote.delete(id);
  }

  private processesChanged(processes: { id: string; slots: number }[]): void {
    const me = this.me;
    this.lastProcesses = processes;
    const next = new Map(processes.map((p) => [p.id, p.slots]));
    let gone = [...this.live.keys()].filter((id) => !next.has(id) && id !== me);
    const wait = this.graceUntil - performance.now();
    if (wait > 0 && gone.length > 0) {
      // Just after a resync the others may not have registered again yet: look again when the grace ends.
      for (const id of gone) next.set(id, this.live.get(id) ?? 0);
      gone = [];
      this.graceTimer ??= setTimeout(() => {
        this.graceTimer = undefined;
        this.processesChanged(this.lastProcesses);
      }, wait);
    }
    this.live = next;
    let peerSlots = 0;
    for (const [id, slots] of next) if (id !== me) peerSlots += slots;
    this.host.peers(peerSlots);
    if (gone.length === 0) return;
    const isGone = new Set(gone);
    for (const id of gone) this.outbox.delete(id);
    // Jobs run here for clients of a gone process: nobody is left to tell; abort them.
    for (const [id, sink] of [...this.remote]) {
      if (!isGone.has(sink.owner)) continue;
      sink.silence();
      this.remote.delete(id);
      this.inLine.delete(id);
      if (this.host.release(id) === undefined) this.host.leave(id);
    }
    // Own jobs a gone process was running: their clients hear why.
    for (const [id, proxy] of [...this.proxies]) {
      if (!isGone.has(proxy.runner)) continue;
      this.dropProxy(id);
      proxy.sink.send(failedMessage(RUNNER_GONE_ERROR));
      proxy.sink.close(1000, 'error');
    }
  }

  /** The stream broke: drop what the line no longer holds, add what is missing at the back, never reorder. */
  private resync(jobs: LineJob[]): void {
    const listed = new Map(jobs.map((job) => [job.id, job]));
    for (const [id] of [...this.inLine]) if (!listed.has(id)) this.left(id);
    for (const job of [...jobs].sort((a, b) => a.ticket - b.ticket)) {
      if (this.inLine.has(job.id)) continue;
      // An own job the line holds that this process forgot (its client left while Redis was away): out.
      if (job.owner === this.me && !this.host.has(job.id)) void this.leaveLine(job.id);
      else this.joined(job);
    }
  }

  private received(from: string, raw: unknown): void {
    const body = parseRelayBody(raw);
    if (body === null) {
      this.options.log?.(`crowdserve: a malformed message from process ${from} was dropped`);
      return;
    }
    const { id } = body;
    switch (body.t) {
      case 'data':
        if (this.remote.has(id)) this.host.receiveData(id, body.data);
        return;
      case 'cancel': {
        const sink = this.remote.get(id);
        if (sink === undefined) return;
        sink.silence();
        this.remote.delete(id);
        this.host.leave(id);
        return;
      }
      case 'send':
      case 'refused':
      case 'close':
        return this.toClient(from, body);
    }
  }

  /** A runner's message for one of this process's clients. */
  private toClient(from: string, body: Extract<RelayBody, { t: 'send' | 'refused' | 'close' }>): void {
    // The runner's first message may come before the line's `claim` event (another connection): it is the claim.
    if (!this.proxies.has(body.id) && this.inLine.get(body.id) === this.me) this.claimed(body.id, from);
    const proxy = this.proxies.get(body.id);
    if (proxy === undefined || proxy.runner !== from) {
      // The client is gone (or never was ours): stop the runner asking.
      if (body.t === 'send' && body.message.msg === 'send_data') this.relay(from, { t: 'cancel', id: body.id });
      return;
    }
    if (body.t === 'close') {
      this.dropProxy(body.id);
      proxy.sink.close(body.code, body.reason);
    } else if (body.t === 'refused') {
      if (proxy.sink.refused !== undefined) proxy.sink.refused(body.error);
      else proxy.sink.send(failedMessage(body.error));
    } else if (body.message.msg === 'send_data' && proxy.preset !== undefined) {
      this.relay(from, { t: 'data', id: body.id, data: proxy.preset });
    } else {
      if (body.message.msg === 'send_data') proxy.awaiting = true;
      proxy.sink.send(body.message);
    }
  }

  private leaveLine(id: JobId): Promise<void> {
    this.inLine.delete(id);
    return this.line.leave(id).catch(() => {});
  }
}
