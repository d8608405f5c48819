import type { WaitingEntry } from './waiting-line.js';

/** What the simulation needs to know about an endpoint. */
export interface EtaEndpoint {
  /** 1 when not batched. */
  maxBatchSize: number;
  maxBatchDelayMs: number;
  /** `Infinity` when unlimited. */
  concurrencyLimit: number;
  /** Expected run time (ms) of a batch of `size`, or null when unknown. */
  serviceTime(size: number): number | null;
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
  completions: number[];
  /** Clock ms at which the job at rank 0 is expected to get a slot (when a waiting place frees). */
  firstStart: number;
  /** Clock ms at which the last known job completes (`now` when nothing waits). */
  drained: number;
}

/**
 * One pass over the waiting line that replays the dispatcher: slots free at their expected times;
 * at each, the oldest unassigned job whose endpoint is under its concurrencyLimit picks the endpoint
 * and takes up to maxBatchSize of that endpoint's oldest unassigned jobs (a prefix of the endpoint's
 * own line, so each endpoint keeps a cursor and the pass is O(n + batches·(endpoints + log slots))).
 * Unknown service times propagate as `Infinity`: such a slot is used only when no known slot is
 * left, so a job gets a number whenever some schedule with known times serves it.
 */
export function simulateDispatch(input: EtaInput): EtaResult {
  const { now, endpoints } = input;
  const ranks: number[][] = endpoints.map(() => []);
  const joinedAt: number[] = [];
  let n = 0;
  for (const entry of input.waiting) {
    ranks[entry.fnIndex]?.push(n);
    joinedAt.push(entry.joinedAt);
    n++;
  }
  const completions = new Array<number>(n).fill(Infinity);
  const cursor = endpoints.map(() => 0);
  const slots = new MinHeap();
  const inFlight = endpoints.map(() => new MinHeap());
  for (const slot of input.busy) {
    const freeAt = Math.max(now, slot.freeAt);
    slots.push(freeAt);
    inFlight[slot.fnIndex]?.push(freeAt);
  }
  for (let i = input.busy.length; i < input.concurrencyCount; i++) slots.push(now);

  let firstStart = n === 0 ? now : Infinity;
  let drained = now;
  let assigned = 0;
  while (assigned < n) {
    let t = slots.pop();
    if (t === Infinity) break;
    // The oldest unassigned job among endpoints with room at t; if none has room, the slot idles
    // until the earliest of their batches ends.
    let pick = -1;
    let wakeAt = Infinity;
    for (let e = 0; e < endpoints.length; e++) {
      const next = ranks[e]?.[cursor[e] as number];
      if (next === undefined) continue;
      const busy = inFlight[e] as MinHeap;
      while (busy.size > 0 && busy.peek() <= t) busy.pop();
      if (busy.size < (endpoints[e] as EtaEndpoint).concurrencyLimit) {
        if (pick < 0 || next < (ranks[pick]?.[cursor[pick] as number] as number)) pick = e;
      } else {
        wakeAt = Math.min(wakeAt, busy.peek());
      }
    }
    if (pick < 0) {
      if (wakeAt === Infinity) break;
      slots.push(wakeAt);
      continue;
    }
    const endpoint = endpoints[pick] as EtaEndpoint;
    const line = ranks[pick] as number[];
    const from = cursor[pick] as number;
    const size = Math.min(endpoint.maxBatchSize, line.length - from);
    cursor[pick] = from + size;
    assigned += size;
    // A short batch may wait for company until its oldest member has waited maxBatchDelayMs.
    if (size < endpoint.maxBatchSize && endpoint.maxBatchDelayMs > 0) {
      t = Math.max(t, (joinedAt[line[from] as number] as number) + endpoint.maxBatchDelayMs);
    }
    if (assigned === size) firstStart = t;
    const run = endpoint.serviceTime(size);
    const done = run === null ? Infinity : t + run;
    for (let k = from; k < from + size; k++) completions[line[k] as number] = done;
    if (done !== Infinity) drained = Math.max(drained, done);
    slots.push(done);
    (inFlight[pick] as MinHeap).push(done);
  }
  return { completions, firstStart, drained };
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
