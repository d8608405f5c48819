import type { ResolvedSendLimits } from './send-limits.js';

/** The part of a `ws` socket the writer uses. */
export interface WritableSocket {
  /** Bytes queued and not yet handed to the network. */
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(text: string): void;
  terminate(): void;
}

const OPEN = 1;

/** What a writer did, for `/metrics` and tests. */
export interface WriterCounts {
  /** Status frames written. */
  statusesWritten: number;
  /** Status frames skipped because the socket had more than `slowClientBytes` waiting. */
  statusesSkipped: number;
  /** Status frames replaced by a newer one before their turn came (coalesced). */
  statusesReplaced: number;
  /** Sockets terminated with more than `maxBufferedBytes` waiting. */
  terminated: number;
}

/**
 * Writes to a crowd of sockets without blocking the event loop and without letting one slow reader
 * hold the server's memory:
 *
 * - Status frames (estimation rounds) are queued, one per socket (a newer one replaces one not yet
 *   written), and written `statusChunkSize` per event-loop turn. A round to 10,000 clients becomes
 *   ~40 short turns instead of one long one; the frame is rendered (JSON) only when written.
 * - Any other frame is written at once and drops a queued status (the conversation writes a
 *   status still unwritten before `send_data` itself, so a prefetched job keeps its place).
 * - A socket with more than `slowClientBytes` waiting is skipped for statuses; one with more than
 *   `maxBufferedBytes` waiting when it is written to again is terminated (its close cancels its job).
 */
export class StatusWriter {
  private queue: SocketWriter[] = [];
  private head = 0;
  private scheduled = false;
  readonly counts: WriterCounts = { statusesWritten: 0, statusesSkipped: 0, statusesReplaced: 0, terminated: 0 };

  constructor(
    readonly limits: ResolvedSendLimits,
    private readonly defer: (run: () => void) => void = setImmediate,
  ) {}

  /** The writer of one socket. */
  attach(socket: WritableSocket): SocketWriter {
    return new SocketWriter(this, socket);
  }

  /** Statuses queued and not written yet (0 when idle). */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** @internal */
  enqueue(writer: SocketWriter): void {
    this.queue.push(writer);
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(this.flush);
  }

  /** @internal Whether the socket may take a frame now; terminates it past maxBufferedBytes. */
  admits(socket: WritableSocket, status: boolean): boolean {
    if (socket.readyState !== OPEN) return false;
    const buffered = socket.bufferedAmount;
    if (buffered > this.limits.maxBufferedBytes) {
      this.counts.terminated++;
      socket.terminate();
      return false;
    }
    if (status && buffered > this.limits.slowClientBytes) {
      this.counts.statusesSkipped++;
      return false;
    }
    return true;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    let budget = this.limits.statusChunkSize;
    while (budget > 0 && this.head < this.queue.length) {
      const writer = this.queue[this.head++] as SocketWriter;
      if (writer.writeStatus()) budget--;
    }
    if (this.head < this.queue.length) {
      this.scheduled = true;
      this.defer(this.flush);
      return;
    }
    this.queue = [];
    this.head = 0;
  };
}

/** One socket's side of the writer. */
export class SocketWriter {
  private pending: (() => string) | null = null;
  private queued = false;

  constructor(
    private readonly writer: StatusWriter,
    private readonly socket: WritableSocket,
  ) {}

  /** Queues a status frame, rendered when its turn comes; replaces one still queued. */
  status(render: () => string): void {
    if (this.pending !== null) this.writer.counts.statusesReplaced++;
    this.pending = render;
    if (this.queued) return;
    this.queued = true;
    this.writer.enqueue(this);
  }

  /** Writes a frame now; a queued status is dropped. Returns whether it was written. */
  send(text: string): boolean {
    this.pending = null;
    if (!this.writer.admits(this.socket, false)) return false;
    this.socket.send(text);
    return true;
  }

  /** The socket is going away: nothing more is written. */
  close(): void {
    this.pending = null;
  }

  /** @internal Writes the queued status, if any and if the socket takes it. Returns whether it wrote. */
  writeStatus(): boolean {
    this.queued = false;
    const render = this.pending;
    this.pending = null;
    if (render === null || !this.writer.admits(this.socket, true)) return false;
    this.socket.send(render());
    this.writer.counts.statusesWritten++;
    return true;
  }
}
