/**
 * One timer for many deadlines: each join and cancel of an app's `sse_v3` transport needs one, and in
 * Node a timer (or `AbortSignal.timeout()`) apiece cost more than the request itself. The timer is
 * armed for the earliest deadline and left to run when that one is met; it then re-arms for the
 * next, so a run of requests answered in time sets it once per timeout, not once per request.
 */
export class Deadlines {
  private readonly pending = new Set<{ at: number; expire: () => void }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private armedFor = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /** Calls `expire` once `ms` have passed, unless the returned function is called first. */
  after(ms: number, expire: () => void): () => void {
    const entry = { at: this.now() + ms, expire };
    this.pending.add(entry);
    if (entry.at < this.armedFor) this.arm(entry.at);
    return () => {
      this.pending.delete(entry);
    };
  }

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    // Node: a deadline alone never keeps the process alive; its request does, while it is open.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = this.now();
    for (const entry of [...this.pending]) {
      if (entry.at > now || !this.pending.delete(entry)) continue;
      entry.expire();
    }
    let next = Infinity;
    for (const entry of this.pending) next = Math.min(next, entry.at);
    if (next < this.armedFor) this.arm(next);
  }
}
