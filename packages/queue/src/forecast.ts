import type { Batch } from './batch.js';
import { DispatchSimulation } from './eta.js';
import type { BusySlot, EtaEndpoint } from './eta.js';
import type { ResolvedEndpoint } from './options.js';
import type { Timings } from './timings.js';
import type { Estimation } from './types.js';
import type { WaitingEntry, WaitingLine } from './waiting-line.js';

/** How long (ms) a pass may be reused: an unchanged queue's times drift only where a batch overruns. */
export const PASS_MAX_AGE_MS = 250;

/** The engine's state a forecast is made from. */
export interface QueueView {
  now: number;
  /** Bumped by every change of the line or the slots. */
  version: number;
  line: WaitingLine;
  batches: Iterable<Batch>;
}

/**
 * The queue's ETAs: the one-pass dispatcher simulation (eta.ts) fed from the engine's slots and line,
 * kept while it is fresh, and extended (not redone) for a job that joins at the back.
 */
export class Forecast {
  private readonly endpoints: EtaEndpoint[];
  private cached: { version: number; at: number; pass: DispatchSimulation } | null = null;

  constructor(
    endpoints: readonly ResolvedEndpoint[],
    private readonly concurrencyCount: number,
    private readonly timings: Timings,
  ) {
    this.endpoints = endpoints.map((e, i) => ({
      maxBatchSize: e.maxBatchSize,
      maxBatchDelayMs: e.maxBatchDelayMs,
      concurrencyLimit: e.concurrencyLimit,
      serviceTime: (size: number) => timings.serviceTime(i, size),
    }));
  }

  /** A pass over the whole line. `exact`: of the queue as it is now; else one up to PASS_MAX_AGE_MS old will do. */
  pass(view: QueueView, exact: boolean): DispatchSimulation {
    const cached = this.cached;
    if (cached && view.now - cached.at <= PASS_MAX_AGE_MS && (!exact || cached.version === view.version)) {
      return cached.pass;
    }
    const { now } = view;
    const busy: BusySlot[] = [];
    for (const batch of view.batches) {
      const size = batch.startedAt === null ? batch.members.size : batch.jobIds.length;
      const run = this.timings.serviceTime(batch.fnIndex, Math.max(1, size));
      // Not started yet: it starts once its data is in (now), or when it closes.
      const from = batch.startedAt ?? (batch.open ? Math.max(now, batch.closeAt) : now);
      busy.push({ fnIndex: batch.fnIndex, freeAt: run === null ? Infinity : Math.max(now, from + run) });
    }
    const pass = new DispatchSimulation(now, this.concurrencyCount, this.endpoints, busy);
    for (const entry of view.line) pass.add(entry);
    pass.run();
    this.cached = { version: view.version, at: now, pass };
    return pass;
  }

  /**
   * When a job that just joined at the back (at `rank`) is expected to complete, without a full pass
   * where a recent one can be extended by that job. When the queue moved since that pass, the answer
   * is a little off until the next full look at the line corrects it (if the difference is news).
   */
  newcomer(view: QueueView, entry: WaitingEntry, rank: number): { completion: number; pass: DispatchSimulation } {
    const cached = this.cached;
    if (!cached || view.now - cached.at > PASS_MAX_AGE_MS || cached.version === view.version) {
      const pass = this.pass(view, true);
      return { completion: pass.completions[rank] ?? Infinity, pass };
    }
    const { pass } = cached;
    pass.add(entry);
    pass.run(view.now);
    // An exact pass extended by the one job that joined since is still exact.
    if (cached.version === view.version - 1) cached.version = view.version;
    return { completion: pass.completions[pass.completions.length - 1] ?? Infinity, pass };
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
