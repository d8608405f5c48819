// One job submitted over either Gradio dialect, for tests that must hold on both (issue 23): the 3.x
// WebSocket (RawJob) or an `sse_v3` session of its own (RawSession), seen through one interface.
import { vi } from 'vitest';
import { RawJob } from './test-utils.js';
import { RawSession, type SseMessage } from './sse-test-utils.js';

export type Dialect = 'ws' | 'sse_v3';

export interface Estimate {
  rank: number;
  queue_size: number;
  rank_eta: number | null;
}

export interface Completion {
  success: boolean;
  output: { data?: unknown[]; error?: string };
}

export interface Call {
  /** `true` once the queue took it (first estimation / 200), `false` when it was refused as full. */
  readonly admitted: Promise<boolean>;
  /** The refusal's fields (`queue_full` / the 503's body), once refused. */
  refusal(): Record<string, unknown> | undefined;
  /** Every estimation it was sent, in order. */
  estimates(): Estimate[];
  /** Its terminal message. */
  completed(timeout?: number): Promise<Completion>;
  /** The client leaves: the socket closes (ws) / `POST /cancel` (sse_v3). */
  leave(): Promise<void>;
}

/** Submits `text` to endpoint `fnIndex` of the server at `url`. */
export async function submit(dialect: Dialect, url: string, fnIndex: number, text: string): Promise<Call> {
  return dialect === 'ws' ? overWebSocket(url, fnIndex, text) : await overSse(url, fnIndex, text);
}

function overWebSocket(url: string, fnIndex: number, text: string): Call {
  const job = RawJob.auto(url, fnIndex, [text]);
  const admitted = vi.waitFor(
    () => {
      // Taken: told its place, or picked at once (asked for its data). Refused: `queue_full`.
      const first = job.messages.find((m) => ['estimation', 'send_data', 'queue_full'].includes(m.msg));
      if (first === undefined) throw new Error(`not decided yet; got ${job.types().join(', ')}`);
      return first.msg !== 'queue_full';
    },
    { timeout: 20_000, interval: 5 },
  );
  return {
    admitted,
    refusal: () => job.messages.find((m) => m.msg === 'queue_full') as Record<string, unknown> | undefined,
    estimates: () => job.messages.filter((m) => m.msg === 'estimation') as unknown as Estimate[],
    completed: async (timeout = 20_000) => (await job.waitFor('process_completed', timeout)) as unknown as Completion,
    leave: async () => {
      job.socket.close();
      await job.waitClosed(20_000);
    },
  };
}

async function overSse(url: string, fnIndex: number, text: string): Promise<Call> {
  const session = new RawSession(url);
  let eventId: string | undefined;
  let refusal: Record<string, unknown> | undefined;
  const admitted = session.join(fnIndex, [text]).then(async (response) => {
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 200) {
      eventId = String(body.event_id);
      // As Gradio's client: join first, then open the session's stream (an unknown session is refused).
      await session.open();
      return true;
    }
    if (response.status === 503) {
      refusal = body;
      return false;
    }
    throw new Error(`join answered ${response.status}: ${JSON.stringify(body)}`);
  });
  const mine = (): SseMessage[] => (eventId === undefined ? [] : session.of(eventId));
  return {
    admitted,
    refusal: () => refusal,
    estimates: () => mine().filter((m) => m.msg === 'estimation') as unknown as Estimate[],
    completed: async (timeout = 20_000) => {
      await admitted;
      return (await session.waitFor(
        (m) => m.event_id === eventId && m.msg === 'process_completed',
        'process_completed',
        timeout,
      )) as unknown as Completion;
    },
    leave: async () => {
      await admitted;
      if (eventId !== undefined) await session.cancel(eventId);
      session.close();
    },
  };
}
