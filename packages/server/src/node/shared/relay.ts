import type { ServerMessage } from '@crowdserve/protocol';
import type { JobId } from '@crowdserve/queue';
import type { JobSink } from '../../core/host-job.js';

/**
 * What one process tells another about a job of the shared queue (DESIGN §2 "Shared line"): the
 * process running a job talks to its client through the process that holds the client's connection.
 */
export type RelayBody =
  /** runner → owner: a message for the job's client (`send_data`, `process_starts`, …, the terminal one). */
  | { t: 'send'; id: JobId; message: ServerMessage }
  /** runner → owner: the job's data was refused (bad input): the owner answers it its transport's way. */
  | { t: 'refused'; id: JobId; error: string }
  /** runner → owner: the conversation ends. */
  | { t: 'close'; id: JobId; code: number; reason: string }
  /** owner → runner: the job's data, as its client sent it. */
  | { t: 'data'; id: JobId; data: unknown[] }
  /** owner → runner: the client left (or never was there): abort the job, tell no one. */
  | { t: 'cancel'; id: JobId };

const KINDS = new Set(['send', 'refused', 'close', 'data', 'cancel']);

/** A relay body as it came out of Redis, checked for its kind and id (its sender is one of ours). */
export function parseRelayBody(body: unknown): RelayBody | null {
  if (typeof body !== 'object' || body === null) return null;
  const { t, id } = body as { t?: unknown; id?: unknown };
  return typeof t === 'string' && KINDS.has(t) && typeof id === 'string' ? (body as RelayBody) : null;
}

/**
 * The sink of a job this process mirrors or runs for another process's client: what would go to the
 * client goes to its owner instead. Estimates are dropped (the owner tells its client from its own
 * copy of the line); `silence()` stops everything (the owner already knows: its client left, or it is gone).
 */
export class RelaySink implements JobSink {
  private silent = false;

  constructor(
    readonly owner: string,
    private readonly id: JobId,
    private readonly relay: (to: string, body: RelayBody) => void,
    /** The conversation ended here (its terminal message went out): forget the job. */
    private readonly ended: () => void,
    /** Hands stashed data to the job as its client's answer. */
    private readonly answer: (data: unknown[]) => void = () => {},
  ) {}

  /** The data that came with the claim: `send_data` is answered with it here, not asked of the owner. */
  stashed: unknown[] | undefined;

  send(message: ServerMessage): void {
    const data = this.stashed;
    if (message.msg === 'send_data' && data !== undefined) {
      this.stashed = undefined;
      // Not within the host's own send: it hears the answer as it would a client's, a moment later.
      queueMicrotask(() => this.answer(data));
      return;
    }
    if (!this.silent) this.relay(this.owner, { t: 'send', id: this.id, message });
  }

  estimate(): void {}

  refused(error: string): void {
    if (!this.silent) this.relay(this.owner, { t: 'refused', id: this.id, error });
  }

  close(code: number, reason: string): void {
    if (!this.silent) this.relay(this.owner, { t: 'close', id: this.id, code, reason });
    this.silent = true;
    this.ended();
  }

  silence(): void {
    this.silent = true;
  }
}
