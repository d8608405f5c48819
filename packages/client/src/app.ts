import { MAX_SESSION_HASH_LENGTH, type ApiInfo, type AppConfig } from '@crowdserve/protocol/base';
import { BadRequestError, describeValue } from './errors.js';
import { findEndpoint, type EndpointInfo } from './endpoints.js';
import { createJob, type Job } from './job.js';
import type { JobTransport } from './job-transport.js';
import { resolveRetryOptions, type RetryOptions } from './retry-policy.js';
import { runJob } from './run-job.js';
import type { JobStatus } from './status.js';

export interface SubmitOptions<T = unknown[]> {
  /** Cancels the job at any stage. An `AbortSignal.timeout()` fails it with `TIMEOUT` instead of `CANCELLED`. */
  signal?: AbortSignal;
  /** Overrides the app's retry options for this job; `false` never retries. */
  retry?: Partial<RetryOptions> | false;
  /** Called with each status, the same sequence the job's iterator yields. */
  onStatus?: (status: JobStatus<T>) => void;
  /**
   * Overrides the app's `session_hash` (Gradio keys per-session state by it). At most 64 characters.
   * Without it, on the 3.x WebSocket, a job sent while another of the same endpoint runs under the
   * app's hash gets a fresh one: Gradio 3 keys a running generator by session and endpoint, and two
   * would collide. On `sse_v3` every job shares the app's hash, and so its one stream.
   */
  sessionHash?: string;
  /** Fails the job with `TIMEOUT` this long after submit. @default the app's `timeoutMs` (none) */
  timeoutMs?: number | null;
}

export interface App {
  readonly config: AppConfig;
  /** `/info`'s answer; `null` when the server has none. */
  readonly info: ApiInfo | null;
  /** Every endpoint, in `fn_index` order. */
  readonly endpoints: readonly EndpointInfo[];
  /** The `session_hash` jobs send unless they say otherwise. */
  readonly sessionHash: string;
  /**
   * Submits `data` (the endpoint's inputs) to an endpoint, by api name (`'/predict'`) or `fn_index`.
   * Throws a `BadRequestError` at once for an unknown endpoint or invalid options; nothing is opened then.
   */
  submit<T = unknown[]>(endpoint: string | number, data: unknown[], options?: SubmitOptions<T>): Job<T>;
  /** `submit(…).result`: the output data. Rejects, never throws. */
  predict<T = unknown[]>(endpoint: string | number, data: unknown[], options?: SubmitOptions<T>): Promise<T>;
  /** Cancels every job still going; later submits fail with `BAD_REQUEST`. */
  close(): void;
}

/** What `connect()` settled once for every job of the app. */
export interface AppSettings {
  retry: RetryOptions;
  sessionHash: string;
  timeoutMs?: number | null;
}

export function createApp(
  transport: JobTransport,
  config: AppConfig,
  info: ApiInfo | null,
  endpoints: readonly EndpointInfo[],
  settings: AppSettings,
): App {
  const running = new Set<Job<unknown>>();
  /** Endpoints with a job running under the app's own hash. */
  const busyUnderAppHash = new Set<number>();
  let closed = false;

  function submit<T = unknown[]>(endpoint: string | number, data: unknown[], options: SubmitOptions<T> = {}): Job<T> {
    if (closed) throw new BadRequestError('submit: expected an open app, got one that was closed');
    const { fnIndex } = findEndpoint(endpoints, endpoint);
    if (!Array.isArray(data)) throw new BadRequestError(`data: expected an array, got ${describeValue(data)}`);
    const ownHash =
      options.sessionHash === undefined && !(transport.hashPerRunningJob && busyUnderAppHash.has(fnIndex));
    const sessionHash = checkSessionHash(options.sessionHash ?? (ownHash ? settings.sessionHash : randomSessionHash()));
    const timeoutMs = checkTimeout(options.timeoutMs === undefined ? settings.timeoutMs : options.timeoutMs);
    const retry = resolveRetryOptions(options.retry, settings.retry);
    const attempt = transport.prepare({ fnIndex, sessionHash, data });
    const plan = { attempt, retry, now: Date.now, random: () => Math.random() };
    const job = createJob<T>((emit, signal) => runJob(plan, emit, signal), { ...options, timeoutMs });
    running.add(job);
    if (ownHash) busyUnderAppHash.add(fnIndex);
    const forget = (): void => {
      running.delete(job);
      if (ownHash) busyUnderAppHash.delete(fnIndex);
    };
    job.result.then(forget, forget);
    return job;
  }

  return {
    config,
    info,
    endpoints,
    sessionHash: settings.sessionHash,
    submit,
    predict: async (endpoint, data, options) => submit(endpoint, data, options).result,
    close() {
      closed = true;
      for (const job of running) job.cancel();
      transport.close();
    },
  };
}

export function checkTimeout(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new BadRequestError(`timeoutMs: expected a number > 0 or null, got ${describeValue(value)}`);
  }
  return value;
}

export function checkSessionHash(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SESSION_HASH_LENGTH) {
    throw new BadRequestError(
      `sessionHash: expected a string of 1 to ${MAX_SESSION_HASH_LENGTH} characters, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A random `session_hash`: 16 hex characters from the platform's CSPRNG. */
export function randomSessionHash(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
