import type { ServerMessage } from '@crowdserve/protocol';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson, type AppConfig, type ApiInfo } from '@crowdserve/protocol';
import { findEndpoint, type ResolvedEndpoint } from '../core/endpoints.js';
import { DEFAULT_MAX_JSON_DEPTH, decodeUtf8 } from '../core/json-guard.js';
import type { JobHost } from '../core/job-host.js';
import { checkData } from '../core/validate-data.js';
import { addressKey } from './connection-limits.js';
import type { Metrics } from './metrics.js';
import type { ResolvedServeOptions } from './options.js';
import { isOriginAllowed } from './origin.js';
import { readBody, type BodyBudget } from './read-body.js';
import { requestPath } from './request-path.js';
import { API_CONTENT_SECURITY_POLICY, setSecurityHeaders } from './security-headers.js';
import { sseRoute } from './sse-routes.js';
import type { SseSessions } from './sse-sessions.js';
import { cutWhenIdle, serveStatic } from './static-files.js';

export interface HttpApiContext {
  options: ResolvedServeOptions;
  host: JobHost;
  metrics: Metrics;
  /** Request bodies buffered, per address and in all (every connection is counted in serve.ts). */
  bodies: BodyBudget;
  config: () => AppConfig;
  info: () => ApiInfo;
  isClosing: () => boolean;
  /** The `sse_v3` dialect's sessions; absent when that dialect is off (`dialects.sseV3: false`). */
  sessions?: SseSessions;
}

const PREDICT_ROUTE = /^\/(run|api)\/([A-Za-z0-9_][A-Za-z0-9_\-/]*?)\/?$/;

/** Each answer's `responseIdleTimeoutMs`, started when it is written: a predict waiting in line sends nothing. */
const idleTimeouts = new WeakMap<ServerResponse, number>();

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch {
    // A handler's output that JSON cannot carry (a BigInt, a cycle) must still get an answer.
    status = 500;
    text = JSON.stringify({ error: 'the result cannot be sent as JSON', detail: 'the result cannot be sent as JSON' });
  }
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  const idleMs = idleTimeouts.get(response);
  if (idleMs !== undefined) cutWhenIdle(response, idleMs);
  response.end(text);
}

const notFound = (response: ServerResponse) => json(response, 404, { detail: 'Not Found' });

/** Answers CORS only for allowed origins; a preflight from any other origin gets no CORS headers. */
function cors(request: IncomingMessage, response: ServerResponse, allowed: string[] | null): void {
  const origin = request.headers.origin;
  if (origin !== undefined && isOriginAllowed(request, allowed)) {
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Vary', 'Origin');
  }
}

/** The HTTP side of the Node server (DESIGN.md §3): config, info, predict routes, status, health, metrics, files. */
export function createHttpHandler(context: HttpApiContext) {
  const handle = httpRoutes(context);
  return (request: IncomingMessage, response: ServerResponse): void => {
    idleTimeouts.set(response, context.options.responseIdleTimeoutMs);
    setSecurityHeaders(response, API_CONTENT_SECURITY_POLICY);
    handle(request, response).catch(() => {
      // A hostile request or a bug costs one answer, never the process (an unhandled rejection would end it).
      if (!response.headersSent) json(response, 500, { detail: 'internal error' });
      else response.destroy();
    });
  };
}

/** A preflight: answered with the allowed methods and headers only where `cors` let the origin in. */
function preflight(response: ServerResponse): void {
  if (response.hasHeader('Access-Control-Allow-Origin')) {
    response.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    // X-Gradio-User: what `@gradio/client` 2.x sends with every queue join.
    response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Gradio-User');
    response.setHeader('Access-Control-Max-Age', '600');
  }
  response.writeHead(204).end();
}

/** The GET (and HEAD) routes that answer from memory, by path. */
const GET_ROUTES = new Map<string, (context: HttpApiContext, response: ServerResponse) => void>([
  ['/config', (context, response) => json(response, 200, context.config())],
  ['/config/', (context, response) => json(response, 200, context.config())],
  ['/info', (context, response) => json(response, 200, context.info())],
  ['/info/', (context, response) => json(response, 200, context.info())],
  ['/queue/status', (context, response) => json(response, 200, context.host.queueStatus())],
  [
    '/healthz',
    (context, response) =>
      json(response, context.isClosing() ? 503 : 200, {
        status: context.isClosing() ? 'closing' : 'ok',
        callsPastTimeout: context.host.callsPastTimeout(),
      }),
  ],
  [
    '/metrics',
    ({ host, metrics, options }, response) => {
      const text = metrics.render(host.stats(), options, host.callsPastTimeout(), host.sharedFigures?.());
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(text);
    },
  ],
]);

function httpRoutes(context: HttpApiContext) {
  const { options } = context;
  const sse = context.sessions === undefined ? undefined : { ...context, sessions: context.sessions };
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = requestPath(request.url);
    if (path === null) return json(response, 400, { detail: 'expected a request target like /config' });
    const method = request.method ?? 'GET';
    cors(request, response, options.allowedOrigins);
    if (method === 'OPTIONS') return preflight(response);

    if (sse !== undefined && (await sseRoute(sse, path, request, response, (...a) => json(response, ...a)))) return;

    const predict = PREDICT_ROUTE.exec(path);
    if (predict !== null) return predictRoute(context, predict[2] ?? '', request, response);

    if (method !== 'GET' && method !== 'HEAD')
      return json(response, 405, { detail: 'Method Not Allowed' }, { Allow: 'GET' });
    const route = GET_ROUTES.get(path);
    if (route !== undefined) return route(context, response);
    if (
      options.staticDir !== null &&
      (await serveStatic(options.staticDir, path, response, method === 'HEAD', {
        contentSecurityPolicy: options.contentSecurityPolicy,
        idleTimeoutMs: options.responseIdleTimeoutMs,
      }))
    )
      return;
    notFound(response);
  };
}

/** `POST /run/{api_name}`: the request joins the same queue as everyone else and never overtakes it. */
async function predictRoute(
  context: HttpApiContext,
  apiName: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { host, options } = context;
  if (request.method !== 'POST') return json(response, 405, { detail: 'Method Not Allowed' }, { Allow: 'POST' });
  if (!options.apiOpen) return notFound(response);
  // Browsers send Origin on every POST; a browser request without one still carries Sec-Fetch-*.
  if (!isOriginAllowed(request, options.allowedOrigins)) {
    context.metrics.recordRefusal('origin');
    return json(response, 403, { detail: 'origin not allowed' });
  }
  const endpoint = findEndpoint(host.endpoints, apiName);
  if (endpoint === undefined) return notFound(response);
  const data = await predictData(context, endpoint, request, response);
  if (data !== undefined) await answerWhenDone(context, endpoint.fnIndex, data, request, response);
}

/** The request's checked `data`, or `undefined` once a refusal has been answered. */
async function predictData(
  context: HttpApiContext,
  endpoint: ResolvedEndpoint,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<unknown[] | undefined> {
  const { options } = context;
  const refuse = (status: number, detail: string): undefined => {
    json(response, status, { detail });
    return undefined;
  };
  const read = await readBody(request, {
    maxBytes: options.maxPayloadBytes,
    budget: context.bodies,
    idleTimeoutMs: options.bodyTimeoutMs,
    maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  });
  if (!read.ok) {
    const retry: Record<string, string> =
      read.retryAfterS === undefined ? {} : { 'Retry-After': String(read.retryAfterS) };
    // Refused unread: the rest of the body must not be read, so the connection goes with the answer.
    if (!response.destroyed) json(response, read.status, { detail: read.detail }, { Connection: 'close', ...retry });
    response.once('finish', () => request.destroy());
    return undefined;
  }
  // Its depth was counted as it arrived (readBody's maxJsonDepth): parsed without a second scan.
  const parsed = parseJson(decodeUtf8(read.bytes));
  if (!parsed.ok) return refuse(400, parsed.error.message);
  const body = parsed.value as { data?: unknown };
  if (typeof body !== 'object' || body === null || !Array.isArray(body.data)) {
    return refuse(422, 'expected a JSON body like {"data": [...]}');
  }
  const problem = checkData(body.data, endpoint.definition.inputs);
  if (problem !== null) return refuse(422, problem);
  return body.data as unknown[];
}

/** Joins the queue with `data` and answers with the job's end; resolves when the job or the caller is gone. */
function answerWhenDone(
  context: HttpApiContext,
  fnIndex: number,
  data: unknown[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { host } = context;
  return new Promise<void>((resolve) => {
    let answered = false;
    const answer = (message: ServerMessage) => {
      if (answered) return;
      answered = answerEnd(context, response, message);
    };
    const id = host.join(
      {
        send: answer,
        // Data the endpoint's `prepare` refused: bad input, like a failed inputs check above.
        refused: (error) => {
          answered = true;
          json(response, 422, { detail: error, error });
        },
        close: () => {
          if (!answered) json(response, 500, { error: 'the job ended without a result' });
          resolve();
        },
      },
      fnIndex,
      data,
      [`ip:${addressKey(request.socket.remoteAddress ?? '')}`],
    );
    // The caller hung up: leave the queue at once (or abort the running call).
    response.on('close', () => {
      if (!answered) host.leave(id);
      resolve();
    });
  });
}

/** Answers a job's terminal message (a full queue, its result, its error); `false` for any other message. */
function answerEnd(context: HttpApiContext, response: ServerResponse, message: ServerMessage): boolean {
  if (message.msg === 'queue_full') {
    const retryAfter = Math.max(1, Math.ceil(message.retry_after ?? 1));
    json(
      response,
      503,
      { detail: message.reason ?? 'Queue is full', ...message },
      { 'Retry-After': String(retryAfter) },
    );
    return true;
  }
  if (message.msg !== 'process_completed') return false;
  if (message.success) json(response, 200, message.output);
  else if (context.isClosing()) {
    // Ended by the shutdown, not by the handler: worth a retry elsewhere or later.
    json(response, 503, { error: message.output.error, detail: message.output.error }, { 'Retry-After': '1' });
  } else json(response, 500, { error: message.output.error, detail: message.output.error });
  return true;
}
