import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Deadlines } from './deadlines.js';
import { postTimeout, type PostAnswer, type SseHttp, type StreamReader } from './sse-http.js';

/** The start of a refused stream's body kept for its error message. */
const MAX_DETAIL_BYTES = 4096;

/**
 * {@link SseHttp} over `node:http(s)`, with one keep-alive agent per app: in Node, undici's `fetch`
 * costs about three times the CPU of a `node:http` request, and the `sse_v3` dialect makes one or two
 * requests per job where the 3.x WebSocket opens one socket (DESIGN §9.4).
 */
export function nodeSseHttp(deadlines: Deadlines): SseHttp {
  const agents = keepAliveAgents();
  return {
    post: (url, body, timeoutMs) => post(agents.send, deadlines, url, body, timeoutMs),
    stream: (url, reader) => stream(agents.send, url, reader),
    close: () => agents.close(),
  };
}

type Send = (url: string, options: { method: string; headers: Record<string, string | number> }) => ClientRequest;

/** One keep-alive agent per scheme, made on first use, so that requests to one server share sockets. */
function keepAliveAgents(): { send: Send; close(): void } {
  let http: HttpAgent | null = null;
  let https: HttpsAgent | null = null;
  return {
    send(url, options) {
      if (url.startsWith('https:')) {
        https ??= new HttpsAgent({ keepAlive: true });
        return httpsRequest(url, { ...options, agent: https });
      }
      http ??= new HttpAgent({ keepAlive: true });
      return httpRequest(url, { ...options, agent: http });
    },
    close() {
      http?.destroy();
      https?.destroy();
      http = https = null;
    },
  };
}

function post(send: Send, deadlines: Deadlines, url: string, body: string, timeoutMs: number): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    const cancel = deadlines.after(timeoutMs, () => request.destroy(postTimeout(url, timeoutMs)));
    const failed = (cause: unknown): void => {
      cancel();
      reject(cause);
    };
    request.on('error', failed);
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', failed);
      // A connection cut mid-answer: settled once, whichever of 'error' and 'close' comes first.
      response.on('close', () => {
        if (!response.complete) failed(new Error(`POST ${url}: the connection closed mid-answer`));
      });
      response.on('end', () => {
        cancel();
        resolve({
          status: response.statusCode ?? 0,
          retryAfter: header(response, 'retry-after'),
          body: json(text),
        });
      });
    });
    request.end(body);
  });
}

function stream(send: Send, url: string, reader: StreamReader): () => void {
  let stopped = false;
  let answer: IncomingMessage | null = null;
  const request = send(url, { method: 'GET', headers: { accept: 'text/event-stream' } });
  /** The reader hears one of `refused`, `end` and `fail`, once, and nothing after it or after `stop()`. */
  const last = (hear: () => void): void => {
    if (stopped) return;
    stopped = true;
    hear();
  };
  const fail = (cause: unknown): void => last(() => reader.fail(cause));
  request.on('error', fail);
  request.on('response', (response) => {
    answer = response;
    response.setEncoding('utf8');
    response.on('error', fail);
    response.on('close', () => {
      if (!response.complete) fail(new Error(`GET ${url}: the connection closed mid-stream`));
    });
    if (response.statusCode !== 200) {
      let detail = '';
      response.on('data', (chunk: string) => {
        if (detail.length < MAX_DETAIL_BYTES) detail += chunk;
      });
      response.on('end', () => last(() => reader.refused(response.statusCode ?? 0, detail)));
      return;
    }
    response.on('data', (chunk: string) => {
      if (!stopped) reader.text(chunk);
    });
    response.on('end', () => last(() => reader.end()));
  });
  request.end();
  return () => {
    if (stopped) return;
    stopped = true;
    stopReading(request, answer);
  };
}

/**
 * After `close_stream` the server ends the body; the end may still be in this very read, so the
 * socket is cut only if it has not come by then, and otherwise goes back to the agent's pool.
 */
function stopReading(request: ClientRequest, response: IncomingMessage | null): void {
  if (response === null) {
    request.destroy();
    return;
  }
  response.resume();
  setImmediate(() => {
    if (!response.complete) request.destroy();
  });
}

function header(response: IncomingMessage, name: string): string | null {
  const value = response.headers[name];
  return typeof value === 'string' ? value : null;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
