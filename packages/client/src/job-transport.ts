import type { DataMessage } from '@crowdserve/protocol/base';
import { BadRequestError } from './errors.js';
import type { AttemptOutcome } from './job-socket.js';
import type { JobStatus } from './status.js';

/** One job's inputs, as `submit()` settled them. */
export interface JobRequest {
  fnIndex: number;
  sessionHash: string;
  data: unknown[];
}

/** One attempt of a job: statuses through `emit`, and how it ended. Never rejects. */
export type Attempt = (emit: (status: JobStatus) => void, signal: AbortSignal) => Promise<AttemptOutcome>;

/** How an app's jobs reach the queue, one dialect each. */
export interface JobTransport {
  /** Prepares a job's attempts; throws a `BadRequestError` at once for data it cannot send. */
  prepare(request: JobRequest): Attempt;
  /**
   * Whether a job of an endpoint already running under the app's `session_hash` needs a hash of its own:
   * Gradio 3 keys a running generator by session and endpoint; `sse_v3` keys it by event.
   */
  readonly hashPerRunningJob: boolean;
  /** The app closed: let go of whatever is shared between jobs. */
  close(): void;
}

/** JSON text of a request, or a `BadRequestError` naming why not. */
export function serialise(message: DataMessage | object): string {
  try {
    return JSON.stringify(message);
  } catch (cause) {
    throw new BadRequestError(`data: expected JSON-serialisable values, got ${cause}`, { cause });
  }
}
