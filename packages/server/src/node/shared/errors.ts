/** Stable codes of the shared line's errors. */
export type SharedQueueErrorCode = 'SHARED_QUEUE_UNAVAILABLE' | 'LINE_JOB_EXISTS' | 'REDIS_CLIENT_MISSING';

/**
 * Redis did not answer (down, restarting, timed out, or this process is re-registering after a restart).
 * Retryable: the line reconnects by itself; a join that gets this was not accepted.
 */
export class SharedQueueUnavailableError extends Error {
  override readonly name = 'SharedQueueUnavailableError';
  readonly code = 'SHARED_QUEUE_UNAVAILABLE' satisfies SharedQueueErrorCode;
  readonly retryable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `join` with the id of a job that is already waiting: a bug in the host, never retryable. */
export class LineJobExistsError extends Error {
  override readonly name = 'LineJobExistsError';
  readonly code = 'LINE_JOB_EXISTS' satisfies SharedQueueErrorCode;
}

/** `redis` was given but the optional peer `ioredis` is not installed. */
export class RedisClientMissingError extends Error {
  override readonly name = 'RedisClientMissingError';
  readonly code = 'REDIS_CLIENT_MISSING' satisfies SharedQueueErrorCode;
}
