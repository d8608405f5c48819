// One process's handle on the shared line in Redis: joins, leaves and claims as atomic scripts, the
// event stream and its inbox read by one blocking connection, a lease kept by heartbeats, and the way
// back after Redis restarts (see docs/DESIGN.md §2 "Shared line").
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LineJobExistsError, SharedQueueUnavailableError } from './errors.js';
import {
  batchFinishedFields,
  batchStartedFields,
  eventSeq,
  parseClaimed,
  parseLineEvent,
  parseSnapshot,
} from './line-events.js';
import { inboxKey, lineKeys, type LineKeys } from './line-keys.js';
import { type RedisLineOptions, resolveRedisLineOptions, type ResolvedRedisLineOptions } from './line-options.js';
import { LeaseHeartbeat } from './lease-heartbeat.js';
import { LineReader, type ReadBatch } from './line-reader.js';
import { DUPLICATE_JOB, EPOCH_CHANGED, LineScripts, NOT_REGISTERED, STREAM_LENGTH } from './line-scripts.js';
import type { Claimed, LineEvent, LineListener, ProcessId } from './line-types.js';
import { OwnWaiting } from './own-waiting.js';
import { STASH_MAX_BYTES } from './shared-line.js';
import { connect, describe, loadRedisClient, openConnection, type RedisClass } from './redis-connections.js';

export type JoinResult = { accepted: true; ticket: number } | { accepted: false; queueSize: number };

/** Why the reader must re-register before it reads on: Redis came back empty, or it reaped this process. */
type Recovery = 'restarted' | 'reaped';

/** A process-unique id: 96 random bits. */
const randomId = (): string => randomBytes(12).toString('hex');

export class RedisLine {
  readonly processId: ProcessId = randomId();
  private readonly options: ResolvedRedisLineOptions;
  private readonly keys: LineKeys;
  private readonly command: Redis;
  private readonly readerConnection: Redis;
  private readonly scripts: LineScripts;
  private readonly reader: LineReader;
  private readonly own = new OwnWaiting(this.processId);
  private closed = false;
  private opened = false;
  private checkEpoch = false;
  private recovery: Recovery | null = null;
  private resyncWanted = false;
  private readonly heartbeat = new LeaseHeartbeat(
    () => this.scripts.heartbeat(this.processId, this.options.leaseMs),
    // Redis away: the next beat tries again; restarted or reaped: recover.
    (error) => this.unavailable(error),
  );
  private lateResync: NodeJS.Timeout | undefined;

  /** Connects, registers this process and delivers the line as it is (`resync`, then `processes`). */
  static async open(options: RedisLineOptions, listener: LineListener): Promise<RedisLine> {
    const resolved = resolveRedisLineOptions(options);
    const line = new RedisLine(await loadRedisClient(), resolved, listener);
    try {
      await line.start();
    } catch (error) {
      await line.close();
      throw error instanceof SharedQueueUnavailableError ? error : line.unavailable(error);
    }
    return line;
  }

  private constructor(
    Redis: RedisClass,
    options: ResolvedRedisLineOptions,
    private readonly listener: LineListener,
  ) {
    this.options = options;
    this.keys = lineKeys(options.key);
    const blockMs = options.leaseMs;
    const name = `crowdserve:${this.processId}`;
    this.command = openConnection(Redis, options, name, 'command', blockMs);
    this.readerConnection = openConnection(Redis, options, name, 'reader', blockMs);
    this.scripts = new LineScripts(this.command, this.keys);
    const streams = { events: this.keys.events, inbox: inboxKey(this.keys, this.processId) };
    this.reader = new LineReader(this.readerConnection, streams, blockMs, {
      prepare: () => this.prepare(),
      handle: (batch) => this.handle(batch),
      broke: () => (this.checkEpoch = true),
    });
    // A command connection that came back may have come back to a restarted Redis.
    this.command.on('ready', () => {
      if (!this.opened) return;
      this.checkEpoch = true;
      void this.reader.wake(this.command);
    });
  }

  private async start(): Promise<void> {
    await Promise.all([connect(this.command, this.options.url), connect(this.readerConnection, this.options.url)]);
    await this.register();
    await this.resync();
    this.opened = true;
    this.heartbeat.start(this.options.leaseMs);
    this.reader.start();
  }

  /** Asks Redis for a place in the line: refused when `maxSize` jobs already wait (across all processes). */
  async join(id: string, fnIndex: number, maxSize: number | null): Promise<JoinResult> {
    const [accepted, value] = await this.attempt(() => this.scripts.join(id, fnIndex, this.processId, maxSize));
    return accepted === 1 ? { accepted: true, ticket: value } : { accepted: false, queueSize: value };
  }

  /** Takes a waiting job off the line; a no-op if it is not waiting (claimed, gone). */
  async leave(id: string): Promise<void> {
    await this.attempt(() => this.scripts.leave(id));
  }

  /**
   * Atomically takes, for this process, those of `ids` still waiting; returns them in the order asked,
   * each with the data its owner stashed (`undefined`: none).
   */
  async claim(ids: string[]): Promise<Claimed[]> {
    if (ids.length === 0) return [];
    return parseClaimed(await this.attempt(() => this.scripts.claim(this.processId, ids)));
  }

  /** Keeps a waiting job's data for its claimer (one round trip); `false`: not waiting, or over `STASH_MAX_BYTES`. */
  async stash(id: string, data: unknown[]): Promise<boolean> {
    const json = JSON.stringify(data);
    if (Buffer.byteLength(json) > STASH_MAX_BYTES) return false;
    return (await this.attempt(() => this.scripts.stash(id, json))) === 1;
  }

  async batchStarted(key: string, fnIndex: number, size: number): Promise<void> {
    await this.emit(batchStartedFields(this.processId, key, fnIndex, size));
  }

  async batchFinished(key: string, seconds: number, ok: boolean): Promise<void> {
    await this.emit(batchFinishedFields(this.processId, key, seconds, ok));
  }

  /** Sends a JSON body to one process; dropped if that process is not live. Resolves whether it went. */
  async send(to: ProcessId, body: unknown): Promise<boolean> {
    const json = JSON.stringify(body) ?? 'null';
    return (await this.attempt(() => this.scripts.send(to, this.processId, json))) === 1;
  }

  /** Leaves the live set (its waiting jobs leave the line) and closes both connections and all timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat.stop();
    clearTimeout(this.lateResync);
    if (this.opened) await this.scripts.deregister(this.processId).catch(() => {});
    // The command connection first: a reader step waiting on it ends at once.
    this.command.disconnect();
    await this.reader.stop();
  }

  private async emit(fields: string[]): Promise<void> {
    await this.attempt(() =>
      this.command.call('XADD', this.keys.events, 'MAXLEN', '~', STREAM_LENGTH, '0-*', ...fields),
    );
  }

  /** Runs one command; every failure but a duplicate join is SharedQueueUnavailableError. */
  private async attempt<T>(step: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SharedQueueUnavailableError('the shared line is closed');
    try {
      return await step();
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(DUPLICATE_JOB)) {
        throw new LineJobExistsError(error.message.slice(DUPLICATE_JOB.length + 1));
      }
      throw this.unavailable(error);
    }
  }

  private unavailable(error: unknown): SharedQueueUnavailableError {
    const message = describe(error);
    if (message.startsWith(EPOCH_CHANGED)) this.recover('restarted');
    else if (message.startsWith(NOT_REGISTERED)) this.recover('reaped');
    return new SharedQueueUnavailableError(`the shared queue is unavailable: ${message}`, { cause: error });
  }

  private recover(why: Recovery): void {
    if (this.recovery !== 'restarted') this.recovery = why;
    void this.reader.wake(this.command);
  }

  /** The reader's step before each read: find a restart, re-register, resync. Runs nowhere else. */
  private async prepare(): Promise<void> {
    if (this.checkEpoch) {
      const epoch = await this.command.get(this.keys.epoch);
      if (epoch !== this.scripts.epoch) this.recovery = 'restarted';
      this.checkEpoch = false;
    }
    if (this.recovery !== null) {
      const before = this.scripts.epoch;
      await this.register();
      // Reaped while Redis kept its data: its jobs left the line with `leave` events, nothing to put back.
      if (this.recovery === 'restarted' || this.scripts.epoch !== before) await this.restoreOwnJobs();
      this.recovery = null;
    }
    if (this.resyncWanted) await this.resync();
  }

  /** Enters this process in the live set, under a new epoch if Redis came back empty. */
  private async register(): Promise<void> {
    await this.scripts.register(
      this.processId,
      this.options.slots,
      this.options.leaseMs,
      this.own.seenTicket,
      randomId(),
    );
  }

  /** Puts this process's waiting jobs back with their tickets; a second resync after one lease drops
   * the jobs of processes that did not come back. */
  private async restoreOwnJobs(): Promise<void> {
    const jobs = this.own.inTicketOrder();
    if (jobs.length > 0) await this.scripts.restore(this.processId, jobs);
    // The inbox is a new, empty stream now.
    this.reader.lastInboxId = '0-0';
    this.resyncWanted = true;
    clearTimeout(this.lateResync);
    this.lateResync = setTimeout(() => {
      this.resyncWanted = true;
      void this.reader.wake(this.command);
    }, this.options.leaseMs);
  }

  private async resync(): Promise<void> {
    const snapshot = parseSnapshot(await this.attempt(() => this.scripts.snapshot()));
    this.resyncWanted = false;
    this.reader.lastEventId = snapshot.lastId;
    this.own.reset(snapshot.jobs);
    this.deliver({ type: 'resync', jobs: snapshot.jobs });
    this.deliver({ type: 'processes', processes: snapshot.processes });
  }

  private handle({ events, inbox }: ReadBatch): void {
    for (const entry of events) {
      if (this.closed) return;
      // A hole in the seqs: entries were trimmed before this process read them (or Redis restarted).
      if (eventSeq(entry[0]) !== eventSeq(this.reader.lastEventId) + 1) {
        this.resyncWanted = true;
        break;
      }
      this.reader.lastEventId = entry[0];
      let event: LineEvent;
      try {
        event = parseLineEvent(entry);
      } catch (error) {
        process.emitWarning(describe(error), { code: 'CROWDSERVE_MALFORMED_LINE_ENTRY' });
        continue;
      }
      this.own.track(event);
      this.deliver(event);
    }
    for (const [id, fields] of inbox) {
      if (this.closed) return;
      this.reader.lastInboxId = id;
      const from = fields[fields.indexOf('f') + 1];
      const body = fields[fields.indexOf('b') + 1];
      if (from === undefined || body === undefined) continue;
      this.relay(from, body);
    }
    if (inbox.length > 0) {
      // Read messages go: trim below the next id after the last one read.
      const [ms, seq] = this.reader.lastInboxId.split('-');
      const inboxStream = inboxKey(this.keys, this.processId);
      this.command.xtrim(inboxStream, 'MINID', `${ms}-${Number(seq) + 1}`).catch(() => {});
    }
  }

  private relay(from: ProcessId, json: string): void {
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch {
      return; // Only send() writes inboxes, always JSON.
    }
    this.call(() => this.listener.relay(from, body));
  }

  private deliver(event: LineEvent): void {
    if (this.closed) return;
    this.call(() => this.listener.event(event));
  }

  /** A listener that throws must not stop the reader: its error surfaces as an uncaught one. */
  private call(listen: () => void): void {
    try {
      listen();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
