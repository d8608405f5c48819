/** What went wrong, stable across releases: code that reacts to an error tests this, never the text. */
export type ErrorCode =
  'QUEUE_FULL' | 'CANCELLED' | 'SERVER_ERROR' | 'CONNECTION_LOST' | 'TIMEOUT' | 'BAD_REQUEST' | 'UNSUPPORTED_SERVER';

/** Every error the client raises. `cause` holds the underlying error or close event, when there is one. */
export class CrowdserveError extends Error {
  override name = 'CrowdserveError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** What the server said in its last `queue_full`; `null` where an older server left a field out. */
export interface QueueFullDetails {
  /** Attempts made in all, the first included. */
  attempts: number;
  queueSize: number | null;
  maxSize: number | null;
  /** Seconds after which the server expected a retry to be accepted. */
  retryAfter: number | null;
  /** Why, when it is not plain fullness (e.g. the server is shutting down). */
  reason: string | null;
}

/** The queue stayed full through every retry the retry options allowed. */
export class QueueFullError extends CrowdserveError implements QueueFullDetails {
  override name = 'QueueFullError';
  declare readonly code: 'QUEUE_FULL';
  readonly attempts: number;
  readonly queueSize: number | null;
  readonly maxSize: number | null;
  readonly retryAfter: number | null;
  readonly reason: string | null;

  constructor(details: QueueFullDetails, options?: { cause?: unknown }) {
    const size =
      details.queueSize !== null && details.maxSize !== null ? ` (${details.queueSize}/${details.maxSize})` : '';
    super('QUEUE_FULL', `queue full${size} after ${details.attempts} attempt(s)`, options);
    this.attempts = details.attempts;
    this.queueSize = details.queueSize;
    this.maxSize = details.maxSize;
    this.retryAfter = details.retryAfter;
    this.reason = details.reason;
  }
}

/** The job was cancelled: `job.cancel()`, its `AbortSignal`, or `app.close()`. */
export class CancelledError extends CrowdserveError {
  override name = 'CancelledError';
  declare readonly code: 'CANCELLED';

  constructor(message = 'cancelled', options?: { cause?: unknown }) {
    super('CANCELLED', message, options);
  }
}

/** The server refused or failed the request; the message is the server's own text. */
export class ServerError extends CrowdserveError {
  override name = 'ServerError';
  declare readonly code: 'SERVER_ERROR';
  /** The HTTP status, for errors from an HTTP route; `null` for errors from the queue. */
  readonly status: number | null;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('SERVER_ERROR', message, options);
    this.status = options?.status ?? null;
  }
}

/** The connection ended before the job's terminal message, or could not be made. */
export class ConnectionLostError extends CrowdserveError {
  override name = 'ConnectionLostError';
  declare readonly code: 'CONNECTION_LOST';

  constructor(message: string, options?: { cause?: unknown }) {
    super('CONNECTION_LOST', message, options);
  }
}

/** Something took longer than allowed: the server's handshake, or the job's own `AbortSignal.timeout()`. */
export class TimeoutError extends CrowdserveError {
  override name = 'TimeoutError';
  declare readonly code: 'TIMEOUT';

  constructor(message: string, options?: { cause?: unknown }) {
    super('TIMEOUT', message, options);
  }
}

/** The call itself is wrong: an unknown endpoint, data that is not an array, an invalid option. */
export class BadRequestError extends CrowdserveError {
  override name = 'BadRequestError';
  declare readonly code: 'BAD_REQUEST';

  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_REQUEST', message, options);
  }
}

/** The server speaks a queue dialect this client does not (e.g. Gradio ≥ 4's SSE); `protocol` names it. */
export class UnsupportedServerError extends CrowdserveError {
  override name = 'UnsupportedServerError';
  declare readonly code: 'UNSUPPORTED_SERVER';
  readonly protocol: string;

  constructor(protocol: string, message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED_SERVER', message, options);
    this.protocol = protocol;
  }
}

/**
 * The error a job fails with when it is aborted. `AbortSignal.timeout()` aborts with a
 * `TimeoutError` DOMException: that is a timeout, not a user's cancel.
 */
export function abortError(reason: unknown): CrowdserveError {
  if (reason instanceof CrowdserveError) return reason;
  if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') {
    return new TimeoutError('the job timed out', { cause: reason });
  }
  return new CancelledError('cancelled', reason === undefined ? undefined : { cause: reason });
}

// One helper for every package's "expected X, got Y" messages (issue 25.7).
export { describeValue } from '@crowdserve/protocol/base';
