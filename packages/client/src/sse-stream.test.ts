import type { SseEventMessage } from '@crowdserve/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.js';
import { fetchSseHttp } from './sse-http.js';
import { SessionStream, type EventListener, type StreamEnd } from './sse-stream.js';

/** A fetch whose every response is a stream the test writes `data:` lines into. */
function fakeFetch(status = 200) {
  const bodies: ReadableStreamDefaultController<Uint8Array>[] = [];
  const fetchFn = vi.fn<typeof fetch>(async (_input, init) => {
    const body = new ReadableStream<Uint8Array>({ start: (c) => void bodies.push(c) });
    init?.signal?.addEventListener('abort', () => bodies.at(-1)?.error(init.signal?.reason));
    return new Response(status === 200 ? body : '{"detail":"no"}', { status });
  });
  const send = (message: object, at = bodies.length - 1) =>
    bodies[at]!.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(message)}\n\n`));
  return { fetchFn, bodies, send };
}

function listener() {
  const messages: SseEventMessage[] = [];
  const ends: StreamEnd[] = [];
  const l: EventListener = { message: (m) => void messages.push(m), end: (why) => void ends.push(why) };
  return { l, messages, ends };
}

const starts = (eventId: string) => ({ msg: 'process_starts', event_id: eventId, eta: null });

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionStream', () => {
  it('opens one stream for many events and hands each its own messages', async () => {
    const { fetchFn, send } = fakeFetch();
    const stream = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
    });
    const a = listener();
    const b = listener();
    stream.add('a', a.l);
    stream.add('b', b.l);
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(1));
    send(starts('b'));
    send({ msg: 'heartbeat', event_id: null });
    send({ msg: 'log', event_id: 'a', log: 'skipped', level: 'info' });
    send(starts('a'));
    await vi.waitFor(() => expect(a.messages).toHaveLength(1));
    expect(b.messages).toEqual([{ msg: 'process_starts', event_id: 'b', eta: null }]);
    stream.close();
  });

  it('keeps messages that come before their join is answered, and only while a join is on its way', async () => {
    const { fetchFn, send } = fakeFetch();
    const stream = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
    });
    const first = listener();
    stream.add('first', first.l);
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(1));
    send(starts('stray'));
    const joined = stream.joinStarted();
    send(starts('early'));
    send(starts('first'));
    await vi.waitFor(() => expect(first.messages).toHaveLength(1));
    const early = listener();
    stream.add('early', early.l);
    joined();
    expect(early.messages).toEqual([{ msg: 'process_starts', event_id: 'early', eta: null }]);
    const stray = listener();
    stream.add('stray', stray.l);
    expect(stray.messages).toEqual([]);
    stream.close();
  });

  it('opens a new stream after close_stream for an event still waiting, and none when nothing waits', async () => {
    const { fetchFn, send } = fakeFetch();
    const onIdle = vi.fn();
    const stream = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
      onIdle,
    });
    const a = listener();
    stream.add('a', a.l);
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(1));
    send({ msg: 'close_stream', event_id: null });
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(2));
    send({ msg: 'process_completed', event_id: 'a', output: { error: 'x' }, success: false });
    await vi.waitFor(() => expect(a.messages).toHaveLength(1));
    // The attempt stops listening on its terminal message; then the server closes the stream.
    const replaced = listener();
    stream.add('a', replaced.l);
    stream.remove('a', replaced.l);
    send({ msg: 'close_stream', event_id: null });
    await vi.waitFor(() => expect(onIdle).toHaveBeenCalled());
    expect(fetchFn).toHaveBeenCalledTimes(2);
    expect(stream.idle).toBe(true);
  });

  it('ends every event on a stream-wide unexpected_error, one event on its own', async () => {
    const { fetchFn, send } = fakeFetch();
    const stream = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
    });
    const a = listener();
    const b = listener();
    stream.add('a', a.l);
    stream.add('b', b.l);
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(1));
    send({ msg: 'unexpected_error', event_id: 'a', message: 'only a', success: false });
    await vi.waitFor(() => expect(a.ends).toEqual([{ type: 'error', status: null, message: 'only a' }]));
    send({ msg: 'unexpected_error', event_id: null, message: 'Server stopped unexpectedly.', success: false });
    await vi.waitFor(() => expect(b.ends).toHaveLength(1));
    expect(b.ends[0]).toMatchObject({ type: 'error', message: 'Server stopped unexpectedly.' });
    expect(a.ends).toHaveLength(1);
  });

  it('reports a refused GET with its status, and a stream that ends without close_stream as lost', async () => {
    const refused = fakeFetch(409);
    const s1 = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(refused.fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
    });
    const a = listener();
    s1.add('a', a.l);
    await vi.waitFor(() => expect(a.ends).toHaveLength(1));
    expect(a.ends[0]).toMatchObject({ type: 'error', status: 409, message: expect.stringContaining('409') });

    const cut = fakeFetch();
    const s2 = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(cut.fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
    });
    const b = listener();
    s2.add('b', b.l);
    await vi.waitFor(() => expect(cut.bodies).toHaveLength(1));
    cut.bodies[0]!.close();
    await vi.waitFor(() => expect(b.ends).toEqual([{ type: 'lost', reason: 'the stream ended without close_stream' }]));
  });

  it('takes a stream silent for silenceTimeoutMs for dead; heartbeats keep it alive', async () => {
    vi.useFakeTimers();
    const { fetchFn, send } = fakeFetch();
    const stream = new SessionStream({
      url: 'http://x/queue/data',
      http: fetchSseHttp(fetchFn, new Deadlines()),
      silenceTimeoutMs: 30_000,
    });
    const a = listener();
    stream.add('a', a.l);
    await vi.waitFor(() => expect(fetchFn).toHaveBeenCalledTimes(1));
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(15_000);
      send({ msg: 'heartbeat', event_id: null });
    }
    await vi.advanceTimersByTimeAsync(29_000);
    expect(a.ends).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(a.ends).toEqual([{ type: 'lost', reason: 'silent for 30000 ms' }]);
  });
});
