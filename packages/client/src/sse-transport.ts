import type { AppConfig } from '@crowdserve/protocol/base';
import type { SseJoinRequest } from '@crowdserve/protocol/sse';
import { describeValue, ServerError } from './errors.js';
import { DEFAULT_SILENCE_TIMEOUT_MS } from './job-socket.js';
import { serialise, type JobTransport } from './job-transport.js';
import { Deadlines } from './deadlines.js';
import { RequestSlots } from './request-slots.js';
import { fetchSseHttp, type SseHttp } from './sse-http.js';
import { runSseAttempt } from './sse-attempt.js';
import { SessionStream } from './sse-stream.js';

export interface SseTransportOptions {
  /** The server's root and its `api_prefix`: `http://host/gradio_api`. */
  apiRoot: string;
  fetch: typeof fetch;
  /** How the app's requests are made, given its one deadline timer. @default over `fetch` */
  http?: ((deadlines: Deadlines) => SseHttp) | undefined;
  connectTimeoutMs: number;
  /** @default {@link DEFAULT_SILENCE_TIMEOUT_MS}: two of the server's 15 s heartbeats */
  silenceTimeoutMs?: number;
}

/**
 * Gradio's `sse_v3` queue: a `POST queue/join` per attempt, and one `GET queue/data` stream per
 * `session_hash` that all of that session's jobs share (as `@gradio/client` does).
 */
export function sseTransport(options: SseTransportOptions): JobTransport {
  const streams = new Map<string, SessionStream>();
  const slots = new RequestSlots();
  const deadlines = new Deadlines();
  const http = options.http ? options.http(deadlines) : fetchSseHttp(options.fetch, deadlines);

  function streamOf(sessionHash: string): SessionStream {
    let stream = streams.get(sessionHash);
    if (stream === undefined) {
      const created = new SessionStream({
        url: `${options.apiRoot}/queue/data?${new URLSearchParams({ session_hash: sessionHash })}`,
        http,
        silenceTimeoutMs: options.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS,
        onIdle: () => {
          if (streams.get(sessionHash) === created) streams.delete(sessionHash);
        },
      });
      streams.set(sessionHash, created);
      stream = created;
    }
    return stream;
  }

  return {
    hashPerRunningJob: false,
    prepare({ fnIndex, sessionHash, data }) {
      const request: SseJoinRequest = {
        data,
        event_data: null,
        fn_index: fnIndex,
        trigger_id: null,
        session_hash: sessionHash,
      };
      const joinBody = serialise(request);
      return (emit, signal) =>
        runSseAttempt(
          {
            apiRoot: options.apiRoot,
            http,
            stream: streamOf(sessionHash),
            slots,
            fnIndex,
            sessionHash,
            joinBody,
            connectTimeoutMs: options.connectTimeoutMs,
            now: Date.now,
          },
          emit,
          signal,
        );
    },
    close() {
      for (const stream of streams.values()) stream.close();
      streams.clear();
      http.close();
    },
  };
}

/** Gradio ≥ 5 serves its API under `api_prefix` (`/gradio_api`); 4.x at the root. */
export function apiPrefixOf(config: AppConfig): string {
  const prefix = config['api_prefix'];
  if (prefix === undefined || prefix === null || prefix === '') return '';
  if (typeof prefix !== 'string' || !/^\/[\w\-./]*$/.test(prefix) || prefix.includes('..')) {
    throw new ServerError(`/config answered api_prefix ${describeValue(prefix)}, expected a path like "/gradio_api"`);
  }
  return prefix.replace(/\/+$/, '');
}
