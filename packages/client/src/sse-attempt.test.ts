import { describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.js';
import { RequestSlots } from './request-slots.js';
import { fetchSseHttp } from './sse-http.js';
import { runSseAttempt, type SseAttemptPlan } from './sse-attempt.js';
import { SessionStream } from './sse-stream.js';
import type { JobStatus } from './status.js';

/** A fetch that plays the server: joins answer as the test says, the stream is written by the test. */
function fakeServer(answerJoin: (init: RequestInit | undefined) => Promise<Response>) {
  const posts: { path: string; body: unknown }[] = [];
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const fetchFn: typeof fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    if (init?.method === 'POST') posts.push({ path, body: JSON.parse(String(init.body)) });
    if (path === '/api/queue/join') return answerJoin(init);
    if (path === '/api/cancel') return Response.json({ success: true });
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (stream = c) });
    init?.signal?.addEventListener('abort', () => stream?.error(init.signal?.reason));
    return new Response(body, { status: 200 });
  };
  const send = (message: object) => stream!.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(message)}\n\n`));
  return { fetchFn, posts, send, streamOpen: () => stream !== undefined };
}

function plan(fetchFn: typeof fetch, connectTimeoutMs = 10_000): SseAttemptPlan {
  const http = fetchSseHttp(fetchFn, new Deadlines());
  return {
    apiRoot: 'http://x/api',
    http,
    stream: new SessionStream({ url: 'http://x/api/queue/data?session_hash=h', http, silenceTimeoutMs: 30_000 }),
    slots: new RequestSlots(),
    fnIndex: 2,
    sessionHash: 'hash1234',
    joinBody: JSON.stringify({ data: [], event_data: null, fn_index: 2, trigger_id: null, session_hash: 'hash1234' }),
    connectTimeoutMs,
    now: () => 1_000,
  };
}

const joined = () => Promise.resolve(Response.json({ event_id: 'e1' }));

describe('runSseAttempt', () => {
  it('cancelled while its join is on the way: ends at once, then cancels the event the join answers with', async () => {
    let answer!: (response: Response) => void;
    const server = fakeServer(() => new Promise((resolve) => (answer = resolve)));
    const controller = new AbortController();
    const outcome = runSseAttempt(plan(server.fetchFn), () => {}, controller.signal);
    await vi.waitFor(() => expect(server.posts).toHaveLength(1));
    controller.abort();
    expect(await outcome).toEqual({ type: 'cancelled' });
    answer(Response.json({ event_id: 'late' }));
    await vi.waitFor(() => expect(server.posts).toHaveLength(2));
    expect(server.posts[1]).toEqual({
      path: '/api/cancel',
      body: { session_hash: 'hash1234', fn_index: 2, event_id: 'late' },
    });
    expect(server.streamOpen()).toBe(false);
  });

  it('cancelled once joined: posts /cancel for its event', async () => {
    const server = fakeServer(joined);
    const controller = new AbortController();
    const statuses: JobStatus[] = [];
    const outcome = runSseAttempt(plan(server.fetchFn), (s) => statuses.push(s), controller.signal);
    await vi.waitFor(() => expect(server.streamOpen()).toBe(true));
    server.send({ msg: 'process_starts', event_id: 'e1', eta: 2 });
    await vi.waitFor(() => expect(statuses).toEqual([{ type: 'running', eta: 2 }]));
    controller.abort();
    expect(await outcome).toEqual({ type: 'cancelled' });
    await vi.waitFor(() => expect(server.posts.map((p) => p.path)).toEqual(['/api/queue/join', '/api/cancel']));
  });

  it('reads a 503 as queue_full, its wait from the body or else from Retry-After', async () => {
    const full = (body: object) =>
      fakeServer(() => Promise.resolve(Response.json(body, { status: 503, headers: { 'retry-after': '7' } })));
    const gradio = full({ detail: 'Queue is full. Max size is 1 and size is 1.' });
    expect(await runSseAttempt(plan(gradio.fetchFn), () => {}, new AbortController().signal)).toEqual({
      type: 'queue_full',
      message: { msg: 'queue_full', retry_after: 7 },
    });
    const ours = full({ detail: 'full', queue_size: 1, max_size: 1, retry_after: 1.5 });
    expect(await runSseAttempt(plan(ours.fetchFn), () => {}, new AbortController().signal)).toEqual({
      type: 'queue_full',
      message: { msg: 'queue_full', queue_size: 1, max_size: 1, retry_after: 1.5 },
    });
  });

  it('a join that could not be sent may be retried; one that timed out counts as sent', async () => {
    const down = fakeServer(() => Promise.reject(new TypeError('fetch failed')));
    expect(await runSseAttempt(plan(down.fetchFn), () => {}, new AbortController().signal)).toMatchObject({
      type: 'lost',
      dataSent: false,
      timedOut: false,
    });
    const silent = fakeServer(
      (init) => new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
    );
    expect(await runSseAttempt(plan(silent.fetchFn, 20), () => {}, new AbortController().signal)).toMatchObject({
      type: 'lost',
      dataSent: true,
      timedOut: true,
    });
  });

  it('fails the job with SERVER_ERROR on a diff that does not fit its output', async () => {
    const server = fakeServer(joined);
    const outcome = runSseAttempt(plan(server.fetchFn), () => {}, new AbortController().signal);
    await vi.waitFor(() => expect(server.streamOpen()).toBe(true));
    const generating = (data: unknown[]) => ({
      msg: 'process_generating',
      event_id: 'e1',
      output: { data, is_generating: true },
      success: true,
    });
    server.send(generating([{ text: 'a' }]));
    server.send(generating([[['append', ['missing', 'deeper'], 'b']]]));
    expect(await outcome).toMatchObject({
      type: 'terminal',
      status: { type: 'failed', error: { code: 'SERVER_ERROR' } },
    });
  });
});
