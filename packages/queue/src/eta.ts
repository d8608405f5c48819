import type { WaitingEntry } from './waiting-line.js';

/** What the simulation needs to know about an endpoint. */
export interface EtaEndpoint {
  /** 1 when not batched. */
  maxBatchSize: number;
  maxBatchDelayMs: number;
  /** `Infinity` when unlimited. */
  concurrencyLimit: number;
  /** Expected run time (ms) of a batch of `size` (not always a whole number), or null when unknown. */
  serviceTime(size: number): number | null;
  /**
   * Expected joins per ms from now on. A batch formed later than now with room left takes the jobs
   * that join meanwhile, so it runs longer than its waiting members alone suggest. @default 0
   */
  arrivalsPerMs?: number;
}

/** A slot that holds a batch now. */
export interface BusySlot {
  fnIndex: number;
  /** Clock ms when it is expected to free (not before now); `Infinity` when unknown. */
  freeAt: number;
}

export interface EtaInput {
  now: number;
  concurrencyCount: number;
  endpoints: readonly EtaEndpoint[];
  busy: readonly BusySlot[];
  /** Oldest first. */
  waiting: Iterable<WaitingEntry>;
}

export interface EtaResult {
  /** Clock ms at which the job at each rank is expected to complete; `Infinity` when unknown. */
  readonly completions: readonly number[];
  /** Clock ms at which the first waiting job is expected to leave the line (a waiting place frees). */
  readonly firstStart: number;
  /** Clock ms at which the last known job completes (`now` when nothing waits). */
  readonly drained: number;
}

/** One pass over the waiting line; see {@link DispatchSimulation}. */
export function simulateDispatch(input: EtaInput): EtaResult {
  const simulation = new DispatchSimulation(input.now, input.concurrencyCount, input.endpoints, input.busy);
  for (const entry of input.waiting) simulation.add(entry);
  simulation.run();
  return simulation;
}

/** The last batch an endpoint formed in the simulation. */
interface LastBatch {
  start: number;
  /** Members from the waiting line. */
  size: number;
  /** Members expected when it starts: `size` plus the jobs expected to join before (at most maxBatchSize). */
  expected: number;
  /** Index of its first member in the endpoint's own list. */
  from: number;
  /** When it frees its slot (clock ms). */
  done: number;
  /** When the endpoint's batch before it completes: its members are never told they complete sooner. */
  floor: number;
}

/**
 * Replays the dispatcher over the waiting line, oldest first: slots free at their expected times; at
 * each, the oldest unassigned job whose endpoint is under its concurrencyLimit picks the endpoint and
 * takes up to maxBatchSize of that endpoint's oldest unassigned jobs. Those are always a prefix of the
 * endpoint's own list, so a cursor per endpoint makes the pass O(n + batches·(endpoints + log slots)).
 *
 * Unknown service times propagate as `Infinity`: such a slot is used only when no known slot is left,
 * so a job gets a number whenever some schedule with known times serves it.
 *
 * Jobs added after `run()` (joins at the back) can be run on top: a job joins its endpoint's last batch
 * when that one has room (a full pass would have put it there), else it forms a new batch on the
 * earliest slot. A lengthened batch's slot frees later; if a later batch already took that slot, the
 * small error lasts until the next full pass.
 */
export class DispatchSimulation implements EtaResult {
  readonly completions: number[] = [];
  drained: number;
  private firstBatchStart = Infinity;
  private readonly ranks: number[][];
  private readonly cursor: number[];
  private readonly last: (LastBatch | null)[];
  private readonly joinedAt: number[] = [];
  private readonly slots = new MinHeap();
  private readonly inFlight: MinHeap[];

  constructor(
    private readonly now: number,
    concurrencyCount: number,
    private readonly endpoints: readonly EtaEndpoint[],
    busy: readonly BusySlot[],
  ) {
    this.ranks = endpoints.map(() => []);
    this.cursor = endpoints.map(() => 0);
    this.last = endpoints.map(() => null);
    this.inFlight = endpoints.map(() => new MinHeap());
    for (const slot of busy) {
      const freeAt = Math.max(now, slot.freeAt);
      this.slots.push(freeAt);
      this.inFlight[slot.fnIndex]?.push(freeAt);
    }
    for (let i = busy.length; i < concurrencyCount; i++) this.slots.push(now);
    this.drained = now;
  }

  /** With nobody waiting: when the earliest slot frees. */
  get firstStart(): number {
    return this.firstBatchStart === Infinity ? this.slots.peek() : this.firstBatchStart;
  }

  /** Appends a job at the back of the line; `run()` assigns it. */
  add(entry: WaitingEntry): void {
    const rank = this.completions.length;
    this.ranks[entry.fnIndex]?.push(rank);
    this.joinedAt.push(entry.joinedAt);
    this.completions.push(Infinity);
  }

  /**
   * Assigns every unassigned job it can. `now`: when jobs added after the first run are run, time may
   * have passed: no batch of theirs starts before it (a slot that overran frees now at the earliest).
   */
  run(now = this.now): void {
    this.joinLastBatches(now);
    for (;;) {
      const t = Math.max(now, this.slots.peek());
      if (t === Infinity) return;
      // The oldest unassigned job among endpoints with room at t; if none has room, the slot idles
      // until the earliest of their batches ends.
      let pick = -1;
      let pickRank = Infinity;
      let wakeAt = Infinity;
      for (let e = 0; e < this.endpoints.length; e++) {
        const next = (this.ranks[e] as number[])[this.cursor[e] as number];
        if (next === undefined || next > pickRank) continue;
        const limit = (this.endpoints[e] as EtaEndpoint).concurrencyLimit;
        const busy = this.inFlight[e] as MinHeap;
        while (busy.size > 0 && busy.peek() <= t) busy.pop();
        if (busy.size < limit) {
          pick = e;
          pickRank = next;
        } else {
          wakeAt = Math.min(wakeAt, busy.peek());
        }
      }
      if (pick >= 0) this.form(pick, Math.max(now, this.slots.pop()), now);
      else if (wakeAt === Infinity) return;
      else this.slots.push(Math.max(this.slots.pop(), wakeAt));
    }
  }

  private form(e: number, slotFreeAt: number, now: number): void {
    const endpoint = this.endpoints[e] as EtaEndpoint;
    const line = this.ranks[e] as number[];
    const from = this.cursor[e] as number;
    const max = endpoint.maxBatchSize;
    const size = Math.min(max, line.length - from);
    this.cursor[e] = from + size;
    const rate = endpoint.arrivalsPerMs ?? 0;
    let start = slotFreeAt;
    // A short batch may wait for company until its oldest member has waited maxBatchDelayMs, or until
    // the jobs expected to join meanwhile fill it.
    if (size < max && endpoint.maxBatchDelayMs > 0) {
      const closeAt = (this.joinedAt[line[from] as number] as number) + endpoint.maxBatchDelayMs;
      const fullAt = rate > 0 ? now + (max - size) / rate : Infinity;
      start = Math.max(start, Math.min(closeAt, fullAt));
    }
    if (this.firstBatchStart === Infinity) this.firstBatchStart = start;
    const expected = Math.min(max, size + rate * Math.max(0, start - now));
    const floor = this.last[e] ? (this.completions[line[from - 1] as number] as number) : -Infinity;
    const batch = { start, size, expected, from, done: Infinity, floor };
    this.last[e] = batch;
    const done = this.complete(e, batch);
    this.slots.push(done);
    if (endpoint.concurrencyLimit !== Infinity) (this.inFlight[e] as MinHeap).push(done);
  }

  /** Jobs added since the last run join their endpoint's last batch while it has room. */
  private joinLastBatches(now: number): void {
    for (let e = 0; e < this.endpoints.length; e++) {
      const batch = this.last[e];
      const line = this.ranks[e] as number[];
      const from = this.cursor[e] as number;
      if (!batch || from >= line.length) continue;
      const endpoint = this.endpoints[e] as EtaEndpoint;
      const room = endpoint.maxBatchSize - batch.size;
      const joining = Math.min(room, line.length - from);
      if (joining <= 0) continue;
      const before = batch.done;
      // The newcomers were among the jobs it was expected to take: from now on, only the ones still to
      // join until it starts are expected.
      const start = Math.max(batch.start, now);
      const rate = endpoint.arrivalsPerMs ?? 0;
      batch.size += joining;
      batch.expected = Math.min(endpoint.maxBatchSize, batch.size + rate * (start - now));
      batch.start = start;
      this.cursor[e] = from + joining;
      const after = this.complete(e, batch);
      // Its slot (and its place under concurrencyLimit) frees later too, if no later batch took it yet.
      this.slots.replace(before, after);
      this.inFlight[e]?.replace(before, after);
    }
  }

  /**
   * Sets the completion of every member of the batch; returns when it frees its slot. A small batch
   * behind a full one may free its slot sooner on another slot; its members are still told they
   * complete no sooner than the jobs ahead of them on their endpoint (an ETA that goes down as one's
   * rank goes up reads as a bug, and the difference is within the noise).
   */
  private complete(e: number, batch: LastBatch): number {
    const run = (this.endpoints[e] as EtaEndpoint).serviceTime(Math.max(batch.size, batch.expected));
    const done = run === null ? Infinity : batch.start + run;
    batch.done = done;
    const told = Math.max(done, batch.floor);
    const line = this.ranks[e] as number[];
    for (let k = batch.from; k < batch.from + batch.size; k++) this.completions[line[k] as number] = told;
    if (told !== Infinity) this.drained = Math.max(this.drained, told);
    return done;
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0] ?? Infinity;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as number) <= value) break;
      items[i] = items[parent] as number;
      i = parent;
    }
    items[i] = value;
  }

  /** Changes one item equal to `from` into `to`, if any. O(size·log size): these heaps hold a few slots. */
  replace(from: number, to: number): void {
    const i = this.items.indexOf(from);
    if (i < 0 || from === to) return;
    const items = this.items.splice(0);
    items[i] = to;
    for (const item of items) this.push(item);
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined) return Infinity;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= items.length) break;
        const r = l + 1;
        const child = r < items.length && (items[r] as number) < (items[l] as number) ? r : l;
        if ((items[child] as number) >= last) break;
        items[i] = items[child] as number;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
