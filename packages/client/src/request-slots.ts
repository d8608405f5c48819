/**
 * How many `POST`s (joins, cancels) one app's `sse_v3` transport has in flight at once; the rest
 * wait their turn. A browser allows about six HTTP/1.1 connections per origin anyway; in Node
 * nothing would, and a hundred submits at once would open a hundred connections (a crowdserve
 * server allows 64 per address). Fewer than 16 held joins back at 100 in flight (DESIGN §9.4). @default 16
 */
export const MAX_CONCURRENT_REQUESTS = 16;

/** A counting semaphore whose waiters can give up through an `AbortSignal`. */
export class RequestSlots {
  private free: number;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(size: number = MAX_CONCURRENT_REQUESTS) {
    this.free = size;
  }

  /** Resolves with the slot's release once one is free, or `null` if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return Promise.resolve(null);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        resolve(null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
  }
}
