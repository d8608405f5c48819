import { QueueEngine } from './engine.js';
import type { Effect, Estimation, JobId, QueueOptions } from './types.js';

/** An estimate as a client heard it: when, and what. */
export interface Heard {
  at: number;
  estimation: Estimation;
}

/**
 * Runs an engine on a fake clock the way a host would: clients send their data at once, a batch of
 * `size` runs `runMs(size)`, ticks come when asked. Records what every job heard and when it ended.
 */
export class FakeHost {
  now = 0;
  readonly engine: QueueEngine;
  readonly heard = new Map<JobId, Heard[]>();
  readonly endedAt = new Map<JobId, number>();
  /** The estimates of each event, in the order the engine gave them. */
  readonly rounds: Extract<Effect, { type: 'estimate' }>[][] = [];
  private readonly agenda: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  constructor(
    options: Omit<QueueOptions, 'clock'>,
    private readonly runMs: (size: number, fnIndex: number) => number,
  ) {
    this.engine = new QueueEngine({ ...options, clock: () => this.now });
  }

  /** A client joins endpoint `fnIndex` at clock ms `at`. */
  joinAt(at: number, jobId: JobId, fnIndex = 0): void {
    this.schedule(at, () => this.execute(this.engine.join(jobId, fnIndex)));
  }

  /** Runs every event due up to `until` (default: until nothing is left). */
  run(until = Infinity, maxEvents = 200_000): void {
    for (let n = 0; ; n++) {
      if (n > maxEvents) throw new Error(`still running after ${maxEvents} events at ${this.now} ms`);
      let k = -1;
      for (let i = 0; i < this.agenda.length; i++) {
        const a = this.agenda[i] as { at: number; seq: number };
        const b = this.agenda[k] as { at: number; seq: number } | undefined;
        if (!b || a.at < b.at || (a.at === b.at && a.seq < b.seq)) k = i;
      }
      const next = this.agenda[k];
      if (!next || next.at > until) break;
      this.agenda.splice(k, 1);
      this.now = Math.max(this.now, next.at);
      next.run();
    }
    if (until !== Infinity) this.now = Math.max(this.now, until);
  }

  private schedule(at: number, run: () => void): void {
    this.agenda.push({ at, seq: this.seq++, run });
  }

  private execute(effects: Effect[]): void {
    const round: Extract<Effect, { type: 'estimate' }>[] = [];
    for (const effect of effects) {
      switch (effect.type) {
        case 'estimate': {
          round.push(effect);
          const list = this.heard.get(effect.jobId) ?? [];
          list.push({ at: this.now, estimation: effect.estimation });
          this.heard.set(effect.jobId, list);
          break;
        }
        case 'requestData':
          this.schedule(this.now, () => this.execute(this.engine.dataReceived(effect.jobId)));
          break;
        case 'startBatch': {
          const results = effect.jobIds.map(() => null);
          this.schedule(this.now + this.runMs(effect.jobIds.length, effect.fnIndex), () =>
            this.execute(this.engine.batchFinished(effect.batchId, { ok: true, results })),
          );
          break;
        }
        case 'end':
          this.endedAt.set(effect.jobId, this.now);
          break;
        case 'scheduleTick':
          this.schedule(effect.at, () => this.execute(this.engine.tick()));
          break;
        // cancelTick: its agenda keeps the tick, and one more tick() is harmless.
        case 'reject':
        case 'abort':
        case 'cancelTick':
          break;
      }
    }
    if (round.length > 0) this.rounds.push(round);
  }
}

export type Of<T extends Effect['type']> = Extract<Effect, { type: T }>;

/** An engine on a fake clock that tests move by hand. */
export function fakeClockEngine(options: Omit<Partial<QueueOptions>, 'clock'> = {}) {
  let now = 0;
  const engine = new QueueEngine({ endpoints: [{}], ...options, clock: () => now });
  return {
    engine,
    advance(ms: number): void {
      now += ms;
    },
    get now(): number {
      return now;
    },
  };
}

export function only<T extends Effect['type']>(effects: Effect[], type: T): Of<T>[] {
  return effects.filter((e): e is Of<T> => e.type === type);
}

/** Effects in a compact form: `requestData a`, `end a success`, `estimate b 0`, `startBatch 1 [a,b]`. */
export function brief(effects: Effect[]): string[] {
  return effects.map((e) => {
    switch (e.type) {
      case 'reject':
        return `reject ${e.jobId} ${e.reason}`;
      case 'estimate':
        return `estimate ${e.jobId} ${e.estimation.rank}`;
      case 'requestData':
        return `requestData ${e.jobId}`;
      case 'startBatch':
        return `startBatch ${e.batchId} [${e.jobIds.join(',')}]`;
      case 'abort':
        return `abort ${e.batchId} ${e.reason}`;
      case 'end':
        return `end ${e.jobId} ${e.outcome.status}`;
      case 'scheduleTick':
        return `scheduleTick ${e.at}`;
      case 'cancelTick':
        return 'cancelTick';
    }
  });
}
