import type { Deadlines } from './deadlines.js';
import { TimeoutError } from './errors.js';

/** A `POST`'s answer: its status, its `Retry-After`, and its body as JSON (`null` when it is not JSON). */
export interface PostAnswer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/** What hears a `GET` read as a stream of text; after the stream's `stop()`, nothing more is heard. */
export interface StreamReader {
  /** The server answered other than 200: its status and the start of its body. */
  refused(status: number, detail: string): void;
  text(chunk: string): void;
  /** The body ended. */
  end(): void;
  /** The request or the body failed. */
  fail(cause: unknown): void;
}

/**
 * The two requests of the `sse_v3` dialect: a JSON `POST` (`queue/join`, `cancel`) and the session's
 * `GET queue/data` stream. Over `fetch` in browsers (or with the `fetch` option); over `node:http` in
 * Node, where `fetch` costs several times more per request (DESIGN §9.4).
 */
export interface SseHttp {
  /** Rejects when the request could not be sent or was not answered within `timeoutMs` (a `TimeoutError`). */
  post(url: string, body: string, timeoutMs: number): Promise<PostAnswer>;
  /** Opens the stream; returns its `stop()`. */
  stream(url: string, reader: StreamReader): () => void;
  /** The app closed: let go of pooled connections. */
  close(): void;
}

/** @internal the error a `post` that ran out of time rejects with */
export function postTimeout(url: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(`POST ${url} gave no answer within ${timeoutMs} ms`);
}

/** {@link SseHttp} over `fetch`. */
export function fetchSseHttp(fetchFn: typeof fetch, deadlines: Deadlines): SseHttp {
  // Called detached: browsers throw "Illegal invocation" when `window.fetch` runs with another `this`.
  const request: typeof fetch = (input, init) => fetchFn(input, init);
  return {
    async post(url, body, timeoutMs) {
      const controller = new AbortController();
      const cancel = deadlines.after(timeoutMs, () => controller.abort(postTimeout(url, timeoutMs)));
      try {
        const response = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          signal: controller.signal,
        });
        const answer: unknown = await response.json().catch(() => null);
        return { status: response.status, retryAfter: response.headers.get('retry-after'), body: answer };
      } catch (cause) {
        throw controller.signal.aborted ? controller.signal.reason : cause;
      } finally {
        cancel();
      }
    },
    stream(url, reader) {
      const controller = new AbortController();
      let stopped = false;
      void (async () => {
        try {
          const response = await request(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
          if (!response.ok || response.body === null) {
            const detail = await response.text().catch(() => '');
            if (!stopped) reader.refused(response.status, detail);
            return;
          }
          const body = response.body.getReader();
          // One decoder rather than a TextDecoderStream: a stream is opened per job when jobs come one at a time.
          const decoder = new TextDecoder();
          for (;;) {
            const { done, value } = await body.read();
            if (stopped) {
              void body.cancel().catch(() => {});
              return;
            }
            if (done) break;
            const text = decoder.decode(value, { stream: true });
            if (text !== '') reader.text(text);
          }
          if (!stopped) reader.end();
        } catch (cause) {
          if (!stopped) reader.fail(cause);
        }
      })();
      return () => {
        stopped = true;
        controller.abort();
      };
    },
    close() {},
  };
}
