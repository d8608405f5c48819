/**
 * The wire messages of Gradio 3.x's WebSocket queue (`/queue/join`), as crowdserve speaks them.
 * Types only: one union per direction, tagged by `msg` where the wire has a tag.
 * Fields marked "crowdserve" are ours; Gradio's own clients ignore them.
 */

/** One entry of a `progress` message: a tqdm-like counter or a free fraction. */
export interface ProgressUnit {
  index: number | null;
  length: number | null;
  unit: string | null;
  progress: number | null;
  desc: string | null;
}

/** Server → client, right after the socket is accepted. */
export interface SendHashMessage {
  msg: 'send_hash';
}

/** Server → client: the queue holds `max_size` waiting jobs already; the socket closes next. */
export interface QueueFullMessage {
  msg: 'queue_full';
  /** crowdserve: waiting jobs now. */
  queue_size?: number;
  /** crowdserve: the server's `maxSize`. */
  max_size?: number;
  /** crowdserve: seconds after which a retry is likely to be accepted. */
  retry_after?: number;
  /** crowdserve: why, when it is not plain fullness (e.g. the server is shutting down). */
  reason?: string;
}

/** Server → client: where the job stands. `rank` is 0-based among waiting jobs; times in seconds. */
export interface EstimationMessage {
  msg: 'estimation';
  rank: number | null;
  queue_size: number;
  avg_event_process_time: number | null;
  avg_event_concurrent_process_time: number | null;
  /** Seconds from now until the job is expected to complete (its wait plus its own run). */
  rank_eta: number | null;
  queue_eta: number;
}

/** Server → client: the job was picked for a slot; send its data now. */
export interface SendDataMessage {
  msg: 'send_data';
}

/** Server → client: the handler started. */
export interface ProcessStartsMessage {
  msg: 'process_starts';
  /** crowdserve: expected run time in seconds, when known. */
  eta?: number | null;
}

/** Server → client: the handler reported progress. */
export interface ProgressMessage {
  msg: 'progress';
  progress_data: ProgressUnit[];
}

/** Server → client: one yield of a generator handler. */
export interface ProcessGeneratingMessage {
  msg: 'process_generating';
  output: { data: unknown[]; is_generating: true };
  success: true;
}

export interface CompletedOutput {
  data: unknown[];
  is_generating: false;
  duration: number;
  average_duration: number;
}

export interface FailedOutput {
  error: string;
}

/** Server → client: the terminal message; the socket closes (1000) next. */
export type ProcessCompletedMessage =
  | { msg: 'process_completed'; output: CompletedOutput; success: true }
  | { msg: 'process_completed'; output: FailedOutput; success: false };

/** Every message a server sends on `/queue/join`. */
export type ServerMessage =
  | SendHashMessage
  | QueueFullMessage
  | EstimationMessage
  | SendDataMessage
  | ProcessStartsMessage
  | ProgressMessage
  | ProcessGeneratingMessage
  | ProcessCompletedMessage;

export type ServerMessageType = ServerMessage['msg'];

/** Client → server, answering `send_hash`: which endpoint to join. */
export interface JoinMessage {
  fn_index: number;
  session_hash: string;
}

/** Client → server, answering `send_data`: the job's inputs. */
export interface DataMessage {
  data: unknown[];
  event_data: unknown;
  fn_index: number;
  session_hash: string;
}

/**
 * Every message a client sends. The wire has no tag on these: which one is expected
 * follows from the last server message (`send_hash` → join, `send_data` → data).
 */
export type ClientMessage = JoinMessage | DataMessage;

/** Longest `session_hash` accepted: it is an opaque label, never an authority. */
export const MAX_SESSION_HASH_LENGTH = 64;

/** Close codes used on `/queue/join`. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;
