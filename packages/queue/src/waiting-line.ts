import type { JobId } from './types.js';

/** A job in the waiting line. */
export interface WaitingEntry {
  readonly jobId: JobId;
  readonly fnIndex: number;
  /** Clock ms at join. */
  readonly joinedAt: number;
}

/**
 * What the engine's rules read of the line: sizes, ranks, the oldest eligible job, iteration oldest
 * first. Synchronous, so a shared line answers from a per-process mirror (DESIGN.md §2, "Shared line").
 */
export interface WaitingLineView extends Iterable<WaitingEntry> {
  /** Jobs waiting, all endpoints. */
  readonly size: number;
  /** Jobs waiting for one endpoint. */
  sizeOf(fnIndex: number): number;
  has(jobId: JobId): boolean;
  /** The oldest job whose endpoint passes `eligible`, left in place. */
  oldest(eligible: (fnIndex: number) => boolean): WaitingEntry | undefined;
  /** 0-based position among all waiting jobs, or undefined when not waiting. */
  rank(jobId: JobId): number | undefined;
  /** Oldest first. Do not change the line while iterating. */
  [Symbol.iterator](): Iterator<WaitingEntry>;
  /** Sizes of internal structures, for leak tests. */
  internalSizes(): Record<string, number>;
}

/**
 * The jobs that wait for a slot, oldest first: the seam for a shared queue (DESIGN.md §2, §8). An engine
 * takes one through `QueueOptions.waitingLine` (default: a new MemoryWaitingLine), empty, and is then
 * its only writer; the engine never reaches past this interface. `waiting-line.contract.ts` is the
 * behaviour every implementation must show.
 */
export interface WaitingLine extends WaitingLineView {
  /** Appends at the back. The id must not be waiting already. */
  enqueue(entry: WaitingEntry): void;
  /**
   * Puts a job back in front of the waiting job `before` (at the back when undefined): a job that left
   * for a slot and gave it back returns to its place (issue 21.4). The id must not be waiting already.
   */
  insert(entry: WaitingEntry, before: JobId | undefined): void;
  /** Takes a job out wherever it stands; everyone behind moves up. */
  remove(jobId: JobId): WaitingEntry | undefined;
  /** Takes up to `max` of the endpoint's oldest jobs, oldest first, from anywhere in the line. */
  take(fnIndex: number, max: number): WaitingEntry[];
}

interface Node {
  readonly entry: WaitingEntry;
  /** Join ticket: comparing tickets compares ages across endpoints. */
  ticket: number;
  prev: Node | null;
  next: Node | null;
  /** Neighbours in the endpoint's own line. */
  prevSame: Node | null;
  nextSame: Node | null;
}

interface EndpointLine {
  head: Node;
  tail: Node;
  size: number;
}

/**
 * In-memory waiting line: one doubly linked list of all jobs threaded with one list per endpoint,
 * so enqueue, remove and taking each job are O(1), and `oldest` is O(endpoints).
 */
export class MemoryWaitingLine implements WaitingLine {
  private readonly nodes = new Map<JobId, Node>();
  private readonly lines = new Map<number, EndpointLine>();
  private head: Node | null = null;
  private tail: Node | null = null;
  private nextTicket = 0;

  get size(): number {
    return this.nodes.size;
  }

  sizeOf(fnIndex: number): number {
    return this.lines.get(fnIndex)?.size ?? 0;
  }

  has(jobId: JobId): boolean {
    return this.nodes.has(jobId);
  }

  enqueue(entry: WaitingEntry): void {
    this.insert(entry, undefined);
  }

  insert(entry: WaitingEntry, before: JobId | undefined): void {
    if (this.nodes.has(entry.jobId)) throw new Error(`job ${entry.jobId} is already waiting`);
    const next = before === undefined ? null : (this.nodes.get(before) ?? null);
    const prev = next === null ? this.tail : next.prev;
    const ticket = this.ticketBetween(prev, next);
    let nextSame = next;
    while (nextSame !== null && nextSame.entry.fnIndex !== entry.fnIndex) nextSame = nextSame.next;
    const line = this.lines.get(entry.fnIndex);
    const prevSame = nextSame === null ? (line?.tail ?? null) : nextSame.prevSame;
    const node: Node = { entry, ticket, prev, next, prevSame, nextSame };
    if (prev) prev.next = node;
    else this.head = node;
    if (next) next.prev = node;
    else this.tail = node;
    if (prevSame) prevSame.nextSame = node;
    if (nextSame) nextSame.prevSame = node;
    if (line) {
      if (prevSame === null) line.head = node;
      if (nextSame === null) line.tail = node;
      line.size++;
    } else {
      this.lines.set(entry.fnIndex, { head: node, tail: node, size: 1 });
    }
    this.nodes.set(entry.jobId, node);
  }

  remove(jobId: JobId): WaitingEntry | undefined {
    const node = this.nodes.get(jobId);
    if (!node) return undefined;
    this.unlink(node);
    return node.entry;
  }

  oldest(eligible: (fnIndex: number) => boolean): WaitingEntry | undefined {
    let best: Node | undefined;
    for (const [fnIndex, line] of this.lines) {
      if ((!best || line.head.ticket < best.ticket) && eligible(fnIndex)) best = line.head;
    }
    return best?.entry;
  }

  take(fnIndex: number, max: number): WaitingEntry[] {
    const taken: WaitingEntry[] = [];
    let node = this.lines.get(fnIndex)?.head ?? null;
    while (node && taken.length < max) {
      const next: Node | null = node.nextSame;
      this.unlink(node);
      taken.push(node.entry);
      node = next;
    }
    return taken;
  }

  rank(jobId: JobId): number | undefined {
    if (!this.nodes.has(jobId)) return undefined;
    let rank = 0;
    for (let node = this.head; node && node.entry.jobId !== jobId; node = node.next) rank++;
    return rank;
  }

  [Symbol.iterator](): Iterator<WaitingEntry> {
    // A plain iterator, not a generator: every estimation round walks the whole line, and resuming a
    // generator per job costs more than a call.
    let node = this.head;
    return {
      next: (): IteratorResult<WaitingEntry> => {
        if (node === null) return { done: true, value: undefined };
        const entry = node.entry;
        node = node.next;
        return { done: false, value: entry };
      },
    };
  }

  internalSizes(): Record<string, number> {
    return { waitingNodes: this.nodes.size, waitingEndpointLines: this.lines.size };
  }

  /**
   * A ticket between its neighbours', so `oldest` still compares ages across endpoints. Midpoints of
   * jobs put back one after another before the same neighbour nest, and after some 36–50 halvings
   * (fewer at larger tickets) one would equal a neighbour's: then the line is numbered afresh, in
   * order (O(n), and rarely).
   */
  private ticketBetween(prev: Node | null, next: Node | null): number {
    if (next === null) return this.nextTicket++;
    if (prev === null) return next.ticket - 1;
    const middle = (prev.ticket + next.ticket) / 2;
    if (middle > prev.ticket && middle < next.ticket) return middle;
    let ticket = 0;
    for (let node = this.head; node; node = node.next) {
      node.ticket = ticket;
      ticket += 2;
    }
    this.nextTicket = ticket;
    return prev.ticket + 1;
  }

  private unlink(node: Node): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;

    const line = this.lines.get(node.entry.fnIndex);
    if (line) {
      if (node.prevSame) node.prevSame.nextSame = node.nextSame;
      else if (node.nextSame) line.head = node.nextSame;
      if (node.nextSame) node.nextSame.prevSame = node.prevSame;
      else if (node.prevSame) line.tail = node.prevSame;
      if (--line.size === 0) this.lines.delete(node.entry.fnIndex);
    }
    node.prev = node.next = node.prevSame = node.nextSame = null;
    this.nodes.delete(node.entry.jobId);
  }
}
