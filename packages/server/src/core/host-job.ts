import type { JobId } from '@crowdserve/queue';
import type { ServerMessage } from '@crowdserve/protocol';
import type { Estimation } from '@crowdserve/queue';

/** Where one job's messages go: a WebSocket, an HTTP response, a MessagePort, an `sse_v3` stream. */
export interface JobSink {
  send(message: ServerMessage): void;
  /**
   * Optional: the job's place in line (an `estimation`), given as the engine made it, for a sink
   * that renders it only when it writes it: a round to a crowd then makes no message per waiting
   * job until written (the conversation keeps the numbers). Without it, estimations come to `send`
   * as messages.
   */
  estimate?(estimation: Estimation): void;
  /** Ends the conversation; called once, after the terminal message. */
  close(code: number, reason: string): void;
  /**
   * The job's data was refused (it failed the inputs check or the endpoint's `prepare`): called
   * instead of `send` with the failed `process_completed`, for transports that answer bad input their
   * own way (HTTP: 422). Without it, the sink gets that `process_completed`.
   */
  refused?(error: string): void;
}

/** Where a job's data stands, one state each with exactly its own fields. */
export type JobData =
  /** Not asked for its data yet; `preset` is what came with the join (HTTP predict, `sse_v3`). */
  | { state: 'waiting'; preset: unknown[] | undefined }
  /** Picked here, and being claimed in the shared line before it is asked for its data (issue 23). */
  | { state: 'claiming'; preset: unknown[] | undefined }
  /** Asked (`send_data`), not answered yet. */
  | { state: 'awaiting' }
  /** Arrived and checked; the endpoint's `prepare` has not settled. */
  | { state: 'preparing'; data: unknown[] }
  /** Ready for its batch: the engine has heard the data arrived. */
  | { state: 'ready'; data: unknown[]; prepared: unknown }
  /** The host ended the job with an error of its own; `refused`: because its data is bad. */
  | { state: 'failed'; message: string; refused: boolean };

export interface HostJob {
  readonly id: JobId;
  readonly fnIndex: number;
  readonly sink: JobSink;
  data: JobData;
}
