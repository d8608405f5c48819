import type { Batch, PeerBatch } from './batch.js';
import { DispatchSimulation } from './eta.js';
import type { BusySlot, EtaEndpoint } from './eta.js';
import type { ResolvedEndpoint } from './options.js';
import type { Timings } from './timings.js';
import type { Estimation } from './types.js';
import type { WaitingEntry, WaitingLineView } from './waiting-line.js';

/** How long (ms) a pass may be reused: an unchanged queue's times drift only where a batch overruns. */
export const PASS_MAX_AGE_MS = 250;

/** The engine's state a forecast is made from. */
export interface QueueView {
  now: number;
  /** Bumped by every change of the line or the slots. */
  version: number;
  /** Bumped by every change but a join at the back: a pass made since the last move can be extended by joins. */
  moves: number;
  line: WaitingLineView;
  batches: Iterable<Batch>;
  /** Slots of the other processes that share the line, and the batches running in them. */
  peerSlots: number;
  peerBatches: Iterable<PeerBatch>;
}

/**
 * The queue's ETAs: the one-pass dispatcher simulation (eta.ts) fed from the engine's slots and line,
 * kept while it is fresh, and extended (not redone) for a job that joins at the back. When other
 * processes share the line, their slots are simulated too (a running peer batch as a busy slot), so a
 * rank's ETA is its place in the global line served by the global capacity.
 */
export class Forecast {
  private cached: { version: number; moves: number; at: number; pass: DispatchSimulation } | null = null;

  constructor(
    private readonly endpoints: readonly ResolvedEndpoint[],
    private readonly concurrencyCount: number,
    private readonly timings: Timings,
  ) {}

  /** A pass over the whole line. `exact`: of the queue as it is now; else one up to PASS_MAX_AGE_MS old will do. */
  pass(view: QueueView, exact: boolean): DispatchSimulation {
    const cached = this.cached;
    if (cached && view.now - cached.at <= PASS_MAX_AGE_MS && (!exact || cached.version === view.version)) {
      return cached.pass;
    }
    const { now } = view;
    const endpoints = this.endpoints.map((e, i) => this.etaEndpoint(e, i, now));
    const busy: BusySlot[] = [];
    for (const batch of view.batches)
      busy.push(this.busySlot(batch, now, endpoints[batch.fnIndex]?.arrivalsPerMs ?? 0));
    for (const batch of view.peerBatches) busy.push(this.peerSlot(batch, now));
    const pass = new DispatchSimulation(now, this.concurrencyCount + view.peerSlots, endpoints, busy);
    for (const entry of view.line) pass.add(entry);
    pass.run();
    this.cached = { version: view.version, moves: view.moves, at: now, pass };
    return pass;
  }

  /** What the simulation knows of an endpoint now: a batch holds its slot for the data round trip plus S(b). */
  private etaEndpoint(e: ResolvedEndpoint, fnIndex: number, now: number): EtaEndpoint {
    return {
      maxBatchSize: e.maxBatchSize,
      maxBatchDelayMs: e.maxBatchDelayMs,
      concurrencyLimit: e.concurrencyLimit,
      arrivalsPerMs: this.timings.arrivalsPerMs(fnIndex, now),
      serviceTime: (size) => {
        const run = this.timings.serviceTime(fnIndex, size);
        return run === null ? null : this.timings.gatherMs(fnIndex, size) + run;
      },
    };
  }

  /** When a batch in a slot is expected to free it. */
  private busySlot(batch: Batch, now: number, arrivalsPerMs: number): BusySlot {
    let size: number;
    let from: number;
    if (batch.state === 'running' || batch.state === 'aborted') {
      size = batch.jobIds.length;
      from = batch.startedAt;
    } else {
      // It starts once its members' data is in: a round trip after it was picked, or after it closes
      // when it gathers members: at `closeAt`, or earlier if the jobs expected to join fill it
      // first; those make it run longer.
      size = batch.members.size;
      let closes: number;
      if (batch.state === 'gathering') {
        const room = Math.max(0, (this.endpoints[batch.fnIndex]?.maxBatchSize ?? 1) - size);
        closes = Math.max(now, Math.min(batch.closeAt, arrivalsPerMs > 0 ? now + room / arrivalsPerMs : Infinity));
        size += Math.min(room, arrivalsPerMs * (closes - now));
      } else {
        closes = batch.gatherFrom;
      }
      from = Math.max(now, closes + this.timings.gatherMs(batch.fnIndex, Math.max(1, size)));
    }
    const run = this.timings.serviceTime(batch.fnIndex, Math.max(1, size));
    return { fnIndex: batch.fnIndex, freeAt: run === null ? Infinity : Math.max(now, from + run) };
  }

  /** A batch running on a peer frees its slot S(b) after it started; past that, like a local overrun, now. */
  private peerSlot(batch: PeerBatch, now: number): BusySlot {
    const run = this.timings.serviceTime(batch.fnIndex, batch.size);
    return { fnIndex: batch.fnIndex, freeAt: run === null ? Infinity : Math.max(now, batch.startedAt + run) };
  }

  /**
   * When a job that just joined at the back (at `rank`) is expected to complete, without a full pass
   * where a recent one can be extended by that job: one made since the queue last moved, which
   * already holds every job ahead of it. Otherwise (a batch started or ended, a job left since), a
   * full pass: extending a pass whose batches have since started would put the newcomer in a batch
   * that is already running.
   */
  newcomer(view: QueueView, entry: WaitingEntry, rank: number): { completion: number; pass: DispatchSimulation } {
    const cached = this.cached;
    const extendable =
      cached !== null &&
      view.now - cached.at <= PASS_MAX_AGE_MS &&
      cached.moves === view.moves &&
      cached.version !== view.version &&
      cached.pass.completions.length === rank;
    if (!extendable) {
      const pass = this.pass(view, true);
      return { completion: pass.completions[rank] ?? Infinity, pass };
    }
    const { pass } = cached;
    pass.add(entry);
    pass.run(view.now);
    // A pass extended by every job that joined since is still exact.
    cached.version = view.version;
    return { completion: pass.completions[rank] ?? Infinity, pass };
  }

  /** What the job at `rank` is told; `completion` in clock ms (`Infinity`: unknown). */
  estimation(view: QueueView, rank: number, completion: number, pass: DispatchSimulation): Estimation {
    return {
      rank,
      queueSize: view.line.size,
      rankEta: completion === Infinity ? null : Math.max(0, (completion - view.now) / 1000),
      queueEta: Math.max(0, (pass.drained - view.now) / 1000),
      avgEventProcessTime: this.timings.avgEventProcessTime(),
      avgEventConcurrentProcessTime: this.timings.avgEventConcurrentProcessTime(),
    };
  }
}
