import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_SESSION_HASH_LENGTH, parseJson } from '@crowdserve/protocol';
import { queueFullDetail, SSE_API_PREFIX, unexpectedErrorFrame } from '../core/gradio-sse.js';
import { DEFAULT_MAX_JSON_DEPTH, decodeUtf8 } from '../core/json-guard.js';
import { checkData } from '../core/validate-data.js';
import { addressKey } from './connection-limits.js';
import type { HttpApiContext } from './http-api.js';
import { isOriginAllowed } from './origin.js';
import { readBody } from './read-body.js';
import type { SseSessions } from './sse-sessions.js';

/**
 * Shortest `session_hash` taken. The official clients make theirs from `Math.random()` (about 11
 * base-36 characters); the hash is the session's only credential (as in Gradio), so short, guessable
 * ones (`"test"`, `"1"`) are refused.
 */
export const MIN_SESSION_HASH_LENGTH = 8;
const SESSION_HASH = new RegExp(`^[A-Za-z0-9_-]{${MIN_SESSION_HASH_LENGTH},${MAX_SESSION_HASH_LENGTH}}$`);
const SESSION_HASH_EXPECTED = `expected a session_hash of ${MIN_SESSION_HASH_LENGTH} to ${MAX_SESSION_HASH_LENGTH} letters, digits, '_' or '-'`;

type Json = (status: number, body: unknown, headers?: Record<string, string>) => void;

/** What the `sse_v3` routes need beside the HTTP API's own context. */
export interface SseRouteContext extends HttpApiContext {
  sessions: SseSessions;
}

/**
 * The `sse_v3` routes under `/gradio_api` (DESIGN.md §3): `POST queue/join`, `GET queue/data`,
 * `POST cancel`, `POST reset`, `GET info`. Returns false for a path that is not one of them.
 */
export async function sseRoute(
  context: SseRouteContext,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
  json: Json,
): Promise<boolean> {
  if (!path.startsWith(`${SSE_API_PREFIX}/`)) return false;
  const route = path.slice(SSE_API_PREFIX.length).replace(/\/$/, '');
  const method = request.method ?? 'GET';
  const expect = (wanted: string): boolean => {
    if (method === wanted || (wanted === 'GET' && method === 'HEAD')) return true;
    json(405, { detail: 'Method Not Allowed' }, { Allow: wanted });
    return false;
  };
  switch (route) {
    case '/info':
      if (expect('GET')) json(200, context.info());
      return true;
    case '/queue/join':
      if (expect('POST') && allowed(context, request, json)) await join(context, request, json);
      return true;
    case '/queue/data':
      if (expect('GET') && allowed(context, request, json)) stream(context, request, response, json);
      return true;
    case '/cancel':
      if (expect('POST') && allowed(context, request, json)) await cancel(context, request, json);
      return true;
    case '/reset':
      // The official client calls it after `/cancel` to reset a generator; ours ended with the cancel.
      if (expect('POST') && allowed(context, request, json)) json(200, { success: true });
      return true;
    default:
      return false;
  }
}

function allowed(context: SseRouteContext, request: IncomingMessage, json: Json): boolean {
  if (isOriginAllowed(request, context.options.allowedOrigins)) return true;
  context.metrics.recordRefusal('origin');
  json(403, { detail: 'origin not allowed' });
  return false;
}

/** Reads a JSON object body: null when it already answered (413 oversized, 422 not a JSON object). */
async function readObject(
  context: SseRouteContext,
  request: IncomingMessage,
  json: Json,
): Promise<Record<string, unknown> | null> {
  const read = await readBody(request, {
    maxBytes: context.options.maxPayloadBytes,
    budget: context.bodies,
    idleTimeoutMs: context.options.bodyTimeoutMs,
    maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  });
  if (!read.ok) {
    const retry: Record<string, string> =
      read.retryAfterS === undefined ? {} : { 'Retry-After': String(read.retryAfterS) };
    // Refused unread: the rest of the body must not be read, so the connection goes with the answer.
    // JSON too deep is 422 here, as any other bad JSON body of sse_v3.
    json(read.status === 400 ? 422 : read.status, { detail: read.detail }, { Connection: 'close', ...retry });
    request.destroy();
    return null;
  }
  // Its depth was counted as it arrived (readBody's maxJsonDepth): parsed without a second scan.
  const parsed = parseJson(decodeUtf8(read.bytes));
  if (!parsed.ok) {
    json(422, { detail: parsed.error.message });
    return null;
  }
  const body = parsed.value;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    json(422, { detail: 'expected a JSON object' });
    return null;
  }
  return body as Record<string, unknown>;
}

function sessionHash(value: unknown): string | null {
  return typeof value === 'string' && SESSION_HASH.test(value) ? value : null;
}

/** `POST /gradio_api/queue/join {data, fn_index, session_hash, …}` → `{event_id}`; 503 when full. */
async function join(context: SseRouteContext, request: IncomingMessage, json: Json): Promise<void> {
  const { host, sessions } = context;
  const body = await readObject(context, request, json);
  if (body === null) return;
  const hash = sessionHash(body['session_hash']);
  if (hash === null) return json(422, { detail: SESSION_HASH_EXPECTED });
  const fnIndex = body['fn_index'];
  const endpoint = typeof fnIndex === 'number' ? host.endpoints[fnIndex] : undefined;
  if (endpoint === undefined) return json(422, { detail: `unknown fn_index ${JSON.stringify(fnIndex)}` });
  const data = body['data'];
  if (!Array.isArray(data)) return json(422, { detail: 'expected a JSON body like {"data": [...], "fn_index": 0}' });
  const problem = checkData(data, endpoint.definition.inputs);
  if (problem !== null) return json(422, { detail: problem });

  const session = sessions.claim(hash);
  // 128 random bits, like Gradio's uuid4().hex: an event id is never guessable from another.
  const eventId = randomUUID().replaceAll('-', '');
  const clients = [`session:${hash}`, `ip:${addressKey(request.socket.remoteAddress ?? '')}`];
  const jobId = host.join(session.add(eventId), endpoint.fnIndex, data, clients);
  // A shared queue decides in Redis (global maxSize): the POST answers once the verdict is in.
  const deciding = host.admitted(jobId);
  if (deciding !== null) await deciding;
  const answer = session.joined(eventId, jobId);
  switch (answer.type) {
    case 'accepted':
      return json(200, { event_id: eventId });
    case 'refused':
      return json(422, { detail: answer.error });
    case 'queue_full': {
      const { message } = answer;
      const retryAfter = Math.max(1, Math.ceil(message.retry_after ?? 1));
      const detail = message.reason ?? queueFullDetail(message.queue_size ?? 0, message.max_size ?? null);
      return json(503, { detail, ...message }, { 'Retry-After': String(retryAfter) });
    }
  }
}

/** `GET /gradio_api/queue/data?session_hash=…`: the session's one stream, bound to the first that opens it. */
function stream(context: SseRouteContext, request: IncomingMessage, response: ServerResponse, json: Json): void {
  const query = new URL(request.url ?? '/', 'http://x').searchParams;
  const hash = sessionHash(query.get('session_hash'));
  if (hash === null) return json(422, { detail: SESSION_HASH_EXPECTED });
  const session = context.sessions.get(hash);
  if (session?.hasStream === true) return json(409, { detail: 'this session already has an open stream' });
  // The stream's connection is counted against maxConnectionsPerIp as every TCP connection is (serve.ts).
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  response.flushHeaders();
  // As Gradio: an unknown session is told so on the stream itself (the client shows the error).
  if (session === undefined) {
    response.end(unexpectedErrorFrame('Session not found.', true));
    return;
  }
  context.sessions.attach(session, response);
}

/** `POST /gradio_api/cancel {session_hash, fn_index, event_id}`: only the session's own events. */
async function cancel(context: SseRouteContext, request: IncomingMessage, json: Json): Promise<void> {
  const body = await readObject(context, request, json);
  if (body === null) return;
  const hash = sessionHash(body['session_hash']);
  if (hash === null) return json(422, { detail: SESSION_HASH_EXPECTED });
  const eventId = body['event_id'];
  if (typeof eventId !== 'string') return json(422, { detail: 'expected an event_id string' });
  const session = context.sessions.get(hash);
  // Unknown, finished and other sessions' events look the same: nothing tells an event exists elsewhere.
  if (session === undefined || !session.cancel(eventId)) return json(404, { detail: 'no such event in this session' });
  json(200, { success: true });
}
