import { WorkerError, causeMessage } from './errors.js';

/** One started worker, as the pool sees it: whatever environment it runs in. */
export interface WorkerHandle<Api> {
  /** The worker's API (a Comlink remote). A call on a dead worker never settles: the pool races it against `exited`. */
  readonly api: Api;
  /** Resolves, never rejects, with the reason once the worker has stopped (exit, crash, out of memory). */
  readonly exited: Promise<Error>;
  /** Stops the worker now. */
  terminate(): void | Promise<unknown>;
}

export type SpawnWorker<Api> = () => WorkerHandle<Api>;

export interface WorkerPoolOptions<Api> {
  /** How many workers run at once. */
  size: number;
  /** Starts one worker (a worker_thread, a Web Worker, or a fake in tests). */
  spawn: SpawnWorker<Api>;
  /** Prepares a new worker before its first task (load the model, warm up). A rejection fails the start. */
  init?: (api: Api) => Promise<void>;
  /** Lets a worker release what it holds before it is terminated at `dispose()`; bounded by `closeTimeoutMs`. */
  close?: (api: Api) => Promise<void>;
  /** How long `dispose()` waits for `close` before terminating. @default 1000 */
  closeTimeoutMs?: number;
  /** Names the pool in error messages (an endpoint's api name). @default 'worker pool' */
  name?: string;
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 1000;

interface PooledWorker<Api> {
  handle: WorkerHandle<Api>;
  state: 'idle' | 'busy' | 'gone';
  /** Set while a task runs: fails that task when the worker stops under it. */
  onExit: ((reason: Error) => void) | null;
  /** Why it stopped, once it has: a task handed a worker that just died fails at once. */
  exitReason: Error | null;
}

interface Waiter<Api> {
  resolve: (worker: PooledWorker<Api>) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed number of workers, each running one task at a time. A task waits for a free worker
 * (FIFO). A task whose worker exits, crashes or is aborted fails at once with a `WorkerError`;
 * that worker is terminated and a new one started in its place. A task that throws fails alone
 * and its worker stays.
 */
export class WorkerPool<Api> {
  readonly #options: WorkerPoolOptions<Api>;
  readonly #name: string;
  readonly #workers = new Set<PooledWorker<Api>>();
  readonly #idle: PooledWorker<Api>[] = [];
  readonly #waiters: Waiter<Api>[] = [];
  /** Workers running or being started. */
  #live = 0;
  #started = false;
  #disposed = false;

  constructor(options: WorkerPoolOptions<Api>) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`size: expected an integer ≥ 1, got ${String(options.size)}`);
    }
    this.#options = options;
    this.#name = options.name ?? 'worker pool';
  }

  /** Workers started and not yet gone (for tests and metrics). */
  get size(): number {
    return this.#live;
  }

  /** Starts every worker and waits until all are ready; if one fails, stops them all and rejects with its error. */
  async start(): Promise<void> {
    if (this.#started) throw new Error(`${this.#name} was already started`);
    this.#started = true;
    const starts = Array.from({ length: this.#options.size }, () => this.#startWorker());
    const results = await Promise.allSettled(starts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.dispose();
      throw failed.reason;
    }
    for (const r of results) if (r.status === 'fulfilled') this.#release(r.value);
  }

  /**
   * Runs `task` on a free worker. Rejects with a `WorkerError` when the worker dies during the
   * task (`WORKER_CRASHED`), when `signal` aborts it (`RUN_ABORTED`: the worker is terminated,
   * since a running model cannot be interrupted), or when the pool is disposed (`POOL_DISPOSED`).
   */
  async run<T>(task: (api: Api) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw this.#aborted(signal, false);
    const worker = await this.#acquire(signal);
    if (signal?.aborted) {
      this.#release(worker);
      throw this.#aborted(signal, false);
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        worker.onExit = null;
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const onAbort = () =>
        settle(() => {
          this.#retire(worker);
          reject(this.#aborted(signal as AbortSignal, true));
        });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.onExit = (reason) =>
        settle(() => {
          this.#retire(worker);
          reject(this.#crashed(reason));
        });
      if (worker.exitReason) return worker.onExit(worker.exitReason);
      Promise.resolve()
        .then(() => task(worker.handle.api))
        .then(
          (value) => settle(() => (this.#release(worker), resolve(value))),
          (error: unknown) => settle(() => (this.#release(worker), reject(error))),
        );
    });
  }

  /** Lets idle workers close, terminates every worker, and fails waiting tasks with `POOL_DISPOSED`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const error = new WorkerError('POOL_DISPOSED', `${this.#name} was closed`);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#idle.length = 0;
    await Promise.all([...this.#workers].map((worker) => this.#stop(worker, worker.state === 'idle')));
  }

  async #startWorker(): Promise<PooledWorker<Api>> {
    this.#live++;
    let handle: WorkerHandle<Api> | undefined;
    try {
      handle = this.#options.spawn();
      const ready = this.#options.init?.(handle.api) ?? Promise.resolve();
      const died = handle.exited.then((reason) => Promise.reject(this.#crashed(reason)));
      died.catch(() => undefined);
      await Promise.race([ready, died]);
    } catch (error) {
      this.#live--;
      if (handle) void Promise.resolve(handle.terminate()).catch(() => undefined);
      throw error;
    }
    const worker: PooledWorker<Api> = { handle, state: 'busy', onExit: null, exitReason: null };
    this.#workers.add(worker);
    // Comlink never rejects a call on a dead worker: the running task (if any) is failed here.
    void handle.exited.then((reason) => {
      worker.exitReason = reason;
      if (worker.onExit) return worker.onExit(reason);
      if (worker.state !== 'idle') return;
      this.#idle.splice(this.#idle.indexOf(worker), 1);
      this.#retire(worker);
    });
    if (this.#disposed) {
      await this.#stop(worker, false);
      throw new WorkerError('POOL_DISPOSED', `${this.#name} was closed`);
    }
    return worker;
  }

  #acquire(signal: AbortSignal | undefined): Promise<PooledWorker<Api>> {
    if (this.#disposed) return Promise.reject(new WorkerError('POOL_DISPOSED', `${this.#name} was closed`));
    if (!this.#started) return Promise.reject(new WorkerError('POOL_NOT_STARTED', `${this.#name} was not started`));
    const idle = this.#idle.pop();
    if (idle) {
      idle.state = 'busy';
      return Promise.resolve(idle);
    }
    // A replacement that failed earlier left a gap: try again now that someone needs a worker.
    if (this.#live < this.#options.size) this.#replace();
    return new Promise((resolve, reject) => {
      const waiter: Waiter<Api> = {
        resolve: (worker) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(worker);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(this.#aborted(signal as AbortSignal, false));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #release(worker: PooledWorker<Api>): void {
    if (worker.state === 'gone') return;
    if (this.#disposed) {
      void this.#stop(worker, true);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      worker.state = 'busy';
      waiter.resolve(worker);
    } else {
      worker.state = 'idle';
      this.#idle.push(worker);
    }
  }

  /** Terminates a worker that died, hung or was aborted, and starts another in its place. */
  #retire(worker: PooledWorker<Api>): void {
    if (worker.state === 'gone') return;
    void this.#stop(worker, false);
    if (!this.#disposed) this.#replace();
  }

  #replace(): void {
    this.#startWorker().then(
      (worker) => this.#release(worker),
      (error: unknown) => {
        // With no worker left, nobody would ever serve the waiting tasks: fail them with the reason.
        if (this.#live > 0) return;
        const reason = new WorkerError(
          'WORKER_CRASHED',
          `${this.#name} could not start a worker: ${causeMessage(error)}`,
          {
            cause: error,
          },
        );
        for (const waiter of this.#waiters.splice(0)) waiter.reject(reason);
      },
    );
  }

  async #stop(worker: PooledWorker<Api>, graceful: boolean): Promise<void> {
    if (worker.state === 'gone') return;
    worker.state = 'gone';
    this.#workers.delete(worker);
    this.#live--;
    const { close, closeTimeoutMs = DEFAULT_CLOSE_TIMEOUT_MS } = this.#options;
    if (graceful && close) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)));
      await Promise.race([close(worker.handle.api).catch(() => undefined), timeout, worker.handle.exited]);
      clearTimeout(timer);
    }
    try {
      await worker.handle.terminate();
    } catch {
      // Already gone: nothing left to stop.
    }
  }

  #crashed(reason: Error): WorkerError {
    if (this.#disposed) return new WorkerError('POOL_DISPOSED', `${this.#name} was closed`, { cause: reason });
    return new WorkerError(
      'WORKER_CRASHED',
      `${this.#name}: the worker stopped (${causeMessage(reason)}); it was replaced`,
      { cause: reason },
    );
  }

  #aborted(signal: AbortSignal, running: boolean): WorkerError {
    const why = signal.reason === undefined ? 'aborted' : causeMessage(signal.reason);
    const what = running ? 'the run was aborted and its worker replaced' : 'the run was aborted before it started';
    return new WorkerError('RUN_ABORTED', `${this.#name}: ${what} (${why})`, { cause: signal.reason });
  }
}
