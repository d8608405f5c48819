import { abortError, ConnectionLostError, CrowdserveError, TimeoutError } from './errors.js';
import { isTerminal, type JobStatus } from './status.js';

/**
 * A submitted job. Iterate it for its statuses (an iterator sees the latest status when it is made,
 * then every later one, as `onStatus` does, and ends after `done` or `failed`; the history is not
 * kept); await `result` for the output data.
 */
export interface Job<T = unknown[]> extends AsyncIterable<JobStatus<T>> {
  /** The output `data`; rejects with the `failed` status's error. Never an unhandled rejection on its own. */
  readonly result: Promise<T>;
  /** The latest status; `null` before the first. */
  readonly status: JobStatus<T> | null;
  /** Cancels the job at any stage; the socket closes and `result` rejects with `CANCELLED`. After the end, a no-op. */
  cancel(reason?: unknown): void;
}

export interface JobHooks<T> {
  signal?: AbortSignal | undefined;
  onStatus?: ((status: JobStatus<T>) => void) | undefined;
  /** Fails the job with `TIMEOUT` this long after it is made; `null` for no limit. */
  timeoutMs?: number | null | undefined;
}

/** Starts the work (on a microtask, so a job cancelled at once opens nothing) and returns its handle. */
export function createJob<T>(
  work: (emit: (status: JobStatus) => void, signal: AbortSignal) => Promise<void>,
  hooks: JobHooks<T>,
): Job<T> {
  const job = new JobHandle<T>(hooks);
  queueMicrotask(() => {
    if (job.status !== null) return;
    work(job.emit, job.signal).catch((cause: unknown) => job.fail(cause));
  });
  return job;
}

class JobHandle<T> implements Job<T> {
  readonly result: Promise<T>;
  #latest: JobStatus<T> | null = null;
  /** Per live iterator, the statuses it has still to deliver: all a long stream holds, no history. */
  readonly #buffers = new Set<JobStatus<T>[]>();
  #wakers: (() => void)[] = [];
  #ended = false;
  readonly #controller = new AbortController();
  readonly #hooks: JobHooks<T>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #resolve!: (data: T) => void;
  #reject!: (error: unknown) => void;

  constructor(hooks: JobHooks<T>) {
    this.#hooks = hooks;
    this.result = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller who only iterates must not get an unhandled rejection; awaiting `result` still throws.
    this.result.catch(() => {});
    const { signal, timeoutMs } = hooks;
    if (timeoutMs != null) {
      this.#timer = setTimeout(
        () => this.cancel(new TimeoutError(`the job took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
    }
    if (signal?.aborted) this.cancel(signal.reason);
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get status(): JobStatus<T> | null {
    return this.#latest;
  }

  /** Internal, for tests: statuses held for iterators still to deliver them. */
  bufferedStatuses(): number {
    let n = 0;
    for (const buffer of this.#buffers) n += buffer.length;
    return n;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  cancel(reason?: unknown): void {
    this.emit({ type: 'failed', error: abortError(reason) });
  }

  /** Internal failures (a bug, never a protocol event) still end the job. */
  fail(cause: unknown): void {
    const error =
      cause instanceof CrowdserveError ? cause : new ConnectionLostError(`client failure: ${cause}`, { cause });
    this.emit({ type: 'failed', error });
  }

  readonly #onAbort = (): void => this.cancel(this.#hooks.signal?.reason);

  /** Records a status; after the terminal one, everything else is dropped. */
  readonly emit = (status: JobStatus): void => {
    if (this.#ended) return;
    const typed = status as JobStatus<T>;
    this.#latest = typed;
    for (const buffer of this.#buffers) buffer.push(typed);
    if (isTerminal(typed)) {
      this.#ended = true;
      clearTimeout(this.#timer);
      this.#hooks.signal?.removeEventListener('abort', this.#onAbort);
      if (typed.type === 'done') this.#resolve(typed.data);
      else this.#reject(typed.error);
      // Tells the work to stop: close the socket, leave the retry wait.
      this.#controller.abort();
    }
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
    try {
      this.#hooks.onStatus?.(typed);
    } catch (error) {
      // As an event listener's would be: reported, and the job goes on.
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  [Symbol.asyncIterator](): AsyncGenerator<JobStatus<T>, void, undefined> {
    const buffer = this.#latest === null ? [] : [this.#latest];
    this.#buffers.add(buffer);
    return this.#drain(buffer);
  }

  async *#drain(buffer: JobStatus<T>[]): AsyncGenerator<JobStatus<T>, void, undefined> {
    try {
      for (;;) {
        while (buffer.length === 0) await new Promise<void>((wake) => this.#wakers.push(wake));
        const status = buffer.shift()!;
        yield status;
        if (isTerminal(status)) return;
      }
    } finally {
      this.#buffers.delete(buffer);
    }
  }
}
