import type { WebSocket } from 'ws';

/**
 * Pings every watched socket each interval; a socket that has not answered the previous ping is
 * terminated, so a dead peer (a laptop closed, a cable pulled) goes within two intervals and its
 * close removes its job. Sockets leave the bookkeeping when they close.
 */
export class Heartbeat {
  /** Whether each socket answered since the last ping. */
  private readonly answered = new Map<WebSocket, boolean>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  watch(socket: WebSocket): void {
    this.answered.set(socket, true);
    socket.on('pong', () => {
      if (this.answered.has(socket)) this.answered.set(socket, true);
    });
    socket.once('close', () => this.answered.delete(socket));
  }

  /** Sockets watched: 0 when none is open. */
  get size(): number {
    return this.answered.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    for (const [socket, answered] of this.answered) {
      if (!answered) {
        this.answered.delete(socket);
        socket.terminate();
        continue;
      }
      this.answered.set(socket, false);
      socket.ping();
    }
  }
}
