import type { ServerMessage } from '@crowdserve/protocol';

/**
 * Gradio's `sse_v3` dialect (Gradio 4.22 – 6.x, `@gradio/client` 1.x – 2.x): the same queue messages
 * as the 3.x WebSocket (`gradio3.ts` makes them), each tagged with its `event_id` and written as one
 * `data:` line of a session's `text/event-stream`; generator yields after the first one go out as
 * diffs (`sse_v2`+). Shapes as `gradio/server_messages.py`, `gradio/routes.py` and `gradio/utils.py`
 * (`diff`) of Gradio 5.49 make them.
 */

/** Where Gradio ≥ 5 serves its API routes; `/config` stays at the root and names it as `api_prefix`. */
export const SSE_API_PREFIX = '/gradio_api';

/** The `protocol` that `/config` announces for this dialect. */
export const SSE_PROTOCOL = 'sse_v3';

/** One message of a session's stream, as a server-sent event. */
export const sseFrame = (message: object): string => `data: ${JSON.stringify(message)}\n\n`;

/** Every 15 s on an idle stream (Gradio's `heartbeat_rate`); it belongs to no event. */
export const HEARTBEAT_FRAME = sseFrame({ msg: 'heartbeat', event_id: null });

/** The session has nothing pending: the client closes the stream and opens a new one for its next join. */
export const CLOSE_STREAM_FRAME = sseFrame({ msg: 'close_stream', event_id: null });

/** An error that concerns the whole stream, not one event (unknown session, server stopping). */
export function unexpectedErrorFrame(message: string, sessionNotFound = false): string {
  return sseFrame({
    msg: 'unexpected_error',
    event_id: null,
    message,
    session_not_found: sessionNotFound,
    success: false,
  });
}

/** Gradio's `detail` of a refused join (`queueing.py` `push`), the answer's body beside our numbers. */
export function queueFullDetail(queueSize: number, maxSize: number | null): string {
  return `Queue is full. Max size is ${maxSize ?? 'unbounded'} and size is ${queueSize}.`;
}

/**
 * What an event gets when `/cancel` ends it. Gradio sends `{output: {}, success: true}`, which
 * `@gradio/client` 2.x fails to read (it throws in its handler and closes the whole session's stream);
 * a failed completion ends that one job with an error status and leaves the session's others alone.
 */
export function cancelledFrame(eventId: string): string {
  return sseFrame({
    msg: 'process_completed',
    event_id: eventId,
    output: { error: 'cancelled', title: 'Cancelled' },
    success: false,
  });
}

/** A 3.x message as this dialect writes it: the same fields, and the event it belongs to. */
export function eventFrame(message: ServerMessage, eventId: string): string {
  return sseFrame({ ...message, event_id: eventId });
}

/** One edit of Gradio's output diff: `[action, path, value]`, applied in order by the client. */
export type DiffEdit = [action: 'replace' | 'append' | 'add' | 'delete', path: (string | number)[], value: unknown];

/**
 * The edits that turn `previous` into `next`, exactly as Gradio's `utils.diff` makes them (a string
 * that grows is an `append`; lists and objects are compared item by item; anything else is a `replace`),
 * so `@gradio/client`'s `apply_diff` rebuilds `next`.
 */
export function outputDiff(previous: unknown, next: unknown, path: (string | number)[] = []): DiffEdit[] {
  if (deepEqual(previous, next)) return [];
  if (kindOf(previous) !== kindOf(next)) return [['replace', path, next]];
  if (typeof previous === 'string' && (next as string).startsWith(previous)) {
    return [['append', path, (next as string).slice(previous.length)]];
  }
  if (Array.isArray(previous)) {
    const after = next as unknown[];
    const common = Math.min(previous.length, after.length);
    const edits: DiffEdit[] = [];
    for (let i = 0; i < common; i++) edits.push(...outputDiff(previous[i], after[i], [...path, i]));
    // Deletes come last, each index shifted by the deletes before it (as Gradio's client expects).
    for (let i = common, seen = 0; i < previous.length; i++, seen++) edits.push(['delete', [...path, i - seen], null]);
    for (let i = common; i < after.length; i++) edits.push(['add', [...path, i], after[i]]);
    return edits;
  }
  if (kindOf(previous) === 'object') {
    const before = previous as Record<string, unknown>;
    const after = next as Record<string, unknown>;
    const edits: DiffEdit[] = [];
    for (const key of Object.keys(before)) {
      if (Object.hasOwn(after, key)) edits.push(...outputDiff(before[key], after[key], [...path, key]));
      else edits.push(['delete', [...path, key], null]);
    }
    for (const key of Object.keys(after))
      if (!Object.hasOwn(before, key)) edits.push(['add', [...path, key], after[key]]);
    return edits;
  }
  return [['replace', path, next]];
}

/**
 * One event's generator output as `sse_v3` sends it: the first yield whole, each later one as a diff
 * per output against the yield before it (Gradio's `handle_streaming_diffs`).
 */
export class GeneratorDiff {
  private last: unknown[] | undefined;

  next(data: unknown[]): unknown[] {
    const previous = this.last;
    this.last = data;
    if (previous === undefined) return data;
    return data.map((value, i) => (i < previous.length ? outputDiff(previous[i], value) : outputDiff(null, value)));
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // Python keeps int and float apart, JSON does not: a number is a number.
  return typeof value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (key) =>
      Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
