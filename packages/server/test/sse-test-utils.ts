import { vi } from 'vitest';

/** One message of a session's stream, as the server wrote it. */
export interface SseMessage {
  msg: string;
  event_id: string | null;
  [key: string]: unknown;
}

/**
 * A raw `sse_v3` session for transcript tests: posts joins and cancels, reads the session's stream
 * and records every message. Test-only: it splits frames on blank lines, which is all our server writes.
 */
export class RawSession {
  readonly messages: SseMessage[] = [];
  streamStatus: number | undefined;
  streamEnded = false;
  private controller: AbortController | undefined;

  constructor(
    readonly url: string,
    readonly hash: string = `raw${Math.random().toString(36).slice(2)}`,
  ) {}

  join(fnIndex: number, data: unknown[], body: Record<string, unknown> = {}): Promise<Response> {
    return post(this.url, '/gradio_api/queue/join', { data, fn_index: fnIndex, session_hash: this.hash, ...body });
  }

  /** Joins and returns the event id, failing the test on any other answer. */
  async joined(fnIndex: number, data: unknown[]): Promise<string> {
    const response = await this.join(fnIndex, data);
    const body = (await response.json()) as { event_id?: string; detail?: string };
    if (response.status !== 200 || body.event_id === undefined)
      throw new Error(`join: ${response.status} ${body.detail}`);
    return body.event_id;
  }

  cancel(eventId: string, hash = this.hash): Promise<Response> {
    return post(this.url, '/gradio_api/cancel', { session_hash: hash, fn_index: 0, event_id: eventId });
  }

  /** Opens the session's stream and reads it in the background until it ends or `close()`. */
  async open(hash = this.hash): Promise<void> {
    this.controller = new AbortController();
    const response = await fetch(`${this.url}/gradio_api/queue/data?session_hash=${hash}`, {
      signal: this.controller.signal,
    });
    this.streamStatus = response.status;
    if (response.body === null || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      this.streamEnded = true;
      return;
    }
    void this.read(response.body);
  }

  close(): void {
    this.controller?.abort();
  }

  of(eventId: string): SseMessage[] {
    return this.messages.filter((m) => m.event_id === eventId);
  }

  async waitFor(predicate: (m: SseMessage) => boolean, what: string, timeout = 5000): Promise<SseMessage> {
    return vi.waitFor(
      () => {
        const found = this.messages.find(predicate);
        if (found === undefined) throw new Error(`no ${what} yet; got ${this.messages.map((m) => m.msg).join(', ')}`);
        return found;
      },
      { timeout, interval: 5 },
    );
  }

  async waitEnded(timeout = 5000): Promise<void> {
    await vi.waitFor(
      () => {
        if (!this.streamEnded) throw new Error(`stream still open; got ${this.messages.map((m) => m.msg).join(', ')}`);
      },
      { timeout, interval: 5 },
    );
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of body) {
        text += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const frame = text.slice(0, end);
          text = text.slice(end + 2);
          if (frame.startsWith('data: ')) this.messages.push(JSON.parse(frame.slice(6)) as SseMessage);
        }
      }
    } catch {
      // aborted by close(), or cut off by the server
    }
    this.streamEnded = true;
  }
}

export function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
