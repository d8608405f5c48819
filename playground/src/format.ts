import { CrowdserveError, QueueFullError } from '@crowdserve/client';

/** `2.4 s`, `12 s`, `350 ms`: short and steady enough to read while it counts down. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.max(0, Math.round(seconds * 1000))} ms`;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

/** Seconds left until `at` (epoch ms), never negative. */
export function secondsUntil(at: number, now: number = Date.now()): number {
  return Math.max(0, (at - now) / 1000);
}

/** What a person should read when a job or a connection fails: what happened and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof QueueFullError) {
    const size = error.queueSize !== null && error.maxSize !== null ? ` (${error.queueSize} of ${error.maxSize})` : '';
    if (error.reason !== null && error.reason !== 'queue_full') return `The server refused the job: ${error.reason}.`;
    return `The queue is full${size} and stayed full through ${error.attempts} tries. Try again in a moment.`;
  }
  if (error instanceof CrowdserveError) {
    switch (error.code) {
      case 'CANCELLED':
        return 'Cancelled.';
      case 'CONNECTION_LOST':
        return `Lost the connection to the server (${error.message}). Is it still running?`;
      case 'TIMEOUT':
        return `The server did not answer in time (${error.message}).`;
      case 'SERVER_ERROR':
        return `The server could not run the job: ${error.message}`;
      case 'BAD_REQUEST':
        return `The request was not valid: ${error.message}`;
      case 'QUEUE_FULL':
        return 'The queue is full. Try again in a moment.';
    }
  }
  return error instanceof Error ? error.message : String(error);
}
