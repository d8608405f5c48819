// What the shared line says to its host: the jobs of the global line and the events that change it.

/** One server process of the shared queue: random, unguessable enough to be unique. */
export type ProcessId = string;

/** A waiting job of the global line. `ticket`: its place in global FIFO order (Redis INCR). */
export interface LineJob {
  id: string;
  fnIndex: number;
  owner: ProcessId;
  ticket: number;
}

/** A job won by a claim, and the data its owner stashed with it (`undefined`: none, ask the owner). */
export interface Claimed {
  id: string;
  data: unknown[] | undefined;
}

/** A live process and its slots (its `concurrencyCount`). */
export interface LineProcess {
  id: ProcessId;
  slots: number;
}

/** A change of the global line, in the one order every process sees (the event stream's). */
export type LineEvent =
  | { type: 'join'; job: LineJob }
  /** Cancelled, disconnected, or its process gone. */
  | { type: 'leave'; id: string }
  /** Left the line for `claimer`'s slot. */
  | { type: 'claim'; id: string; claimer: ProcessId }
  | { type: 'batchStarted'; process: ProcessId; key: string; fnIndex: number; size: number }
  | { type: 'batchFinished'; process: ProcessId; key: string; seconds: number; ok: boolean }
  /** The live set changed (came, left, lease expired); also sent after every `resync`. */
  | { type: 'processes'; processes: LineProcess[] }
  /** The stream broke (trimmed past, Redis restarted) or the line just opened: the whole line, ticket order. */
  | { type: 'resync'; jobs: LineJob[] };

export interface LineListener {
  /** Every event, in one global order (the stream's), this process's own ones too. */
  event(event: LineEvent): void;
  /** A message another process sent to this one, in send order per sender. */
  relay(from: ProcessId, body: unknown): void;
}
