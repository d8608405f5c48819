// Bad input on the sse_v3 routes: each gets a clear answer or is cut off, the queue keeps serving,
// a session's events stay its own, and nothing is left behind (internalSizes back to 0).
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointDefinition } from '../endpoint.js';
import { serve, type Server, type ServeOptions } from './index.js';
import { post, RawSession } from '../../test/sse-test-utils.js';
import { deferred } from '../../test/test-utils.js';

const servers: Server[] = [];
const sessions: RawSession[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ServeOptions> = {}, extra: Record<string, EndpointDefinition> = {}) {
  const gate = deferred();
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    closeGraceMs: 200,
    // The engine's data-timeout tick stays armed this long after a join (as in leaks.test.ts).
    dataTimeoutMs: 300,
    ...options,
    endpoints: {
      '/echo': {
        inputs: [{ label: 'text', type: 'string' }],
        fn: async ([text]) => {
          if (text === 'block') await gate.promise;
          return [text];
        },
      },
      ...extra,
    },
  });
  servers.push(server);
  return { server, gate };
}

function session(server: Server, hash?: string): RawSession {
  const s = new RawSession(server.url, hash);
  sessions.push(s);
  return s;
}

/** The queue still serves: a fresh session's echo comes back. */
async function stillServes(server: Server): Promise<void> {
  const s = session(server);
  const id = await s.joined(0, ['still here']);
  await s.open();
  await s.waitFor((m) => m.event_id === id && m.msg === 'process_completed', 'the echo');
  expect(s.of(id).at(-1)).toMatchObject({ success: true, output: { data: ['still here'] } });
  await s.waitEnded();
}

/** Every structure of the server and its queue is empty again. */
async function nothingLeft(server: Server): Promise<void> {
  await vi.waitFor(
    () => {
      const sizes = server.internalSizes();
      const left = Object.entries(sizes).filter(([name, size]) => size !== 0 && name !== 'httpConnections');
      expect(Object.fromEntries(left)).toEqual({});
    },
    { timeout: 5000, interval: 20 },
  );
}

describe('POST /gradio_api/queue/join with a bad body', () => {
  it.each([
    ['malformed JSON', '{"data": [', /JSON/],
    ['a JSON array', '[1, 2]', /expected a JSON object/],
    ['no data', { fn_index: 0, session_hash: 'abcdefgh12' }, /expected a JSON body like/],
    ['unknown fn_index', { data: ['x'], fn_index: 9, session_hash: 'abcdefgh12' }, /unknown fn_index 9/],
    ['a fn_index that is a string', { data: ['x'], fn_index: '0', session_hash: 'abcdefgh12' }, /unknown fn_index "0"/],
    ['data of the wrong arity', { data: [], fn_index: 0, session_hash: 'abcdefgh12' }, /expected 1 input/],
    ['a guessable session_hash', { data: ['x'], fn_index: 0, session_hash: 'test' }, /session_hash of 8 to 64/],
    ['no session_hash', { data: ['x'], fn_index: 0 }, /session_hash/],
  ])('%s → 422 with a detail; the queue keeps serving', async (_name, body, detail) => {
    const { server } = await start();
    const response = await post(server.url, '/gradio_api/queue/join', body);
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
    await stillServes(server);
    await nothingLeft(server);
  });

  it('an oversized body → 413, and the queue keeps serving', async () => {
    const { server } = await start({ maxPayloadBytes: 4096 });
    const big = { data: ['x'.repeat(10_000)], fn_index: 0, session_hash: 'abcdefgh12' };
    const response = await post(server.url, '/gradio_api/queue/join', big).catch(() => null);
    // The server answers 413 and closes; a client still sending may see the reset instead.
    if (response !== null) expect(response.status).toBe(413);
    await stillServes(server);
    await nothingLeft(server);
  });

  it('a foreign origin → 403 on every route', async () => {
    const { server } = await start({ allowedOrigins: ['https://my.app'] });
    const evil = { Origin: 'https://evil.test' };
    const join = await post(
      server.url,
      '/gradio_api/queue/join',
      { data: ['x'], fn_index: 0, session_hash: 'abcdefgh12' },
      evil,
    );
    expect(join.status).toBe(403);
    const data = await fetch(`${server.url}/gradio_api/queue/data?session_hash=abcdefgh12`, { headers: evil });
    expect(data.status).toBe(403);
    const cancel = await post(server.url, '/gradio_api/cancel', { session_hash: 'abcdefgh12', event_id: 'x' }, evil);
    expect(cancel.status).toBe(403);
    await nothingLeft(server);
  });
});

describe("a session's events are its own", () => {
  it('another session cannot cancel them, nor read them on its stream', async () => {
    const { server, gate } = await start();
    const owner = session(server);
    const ownEvent = await owner.joined(0, ['block']);
    await owner.open();
    await owner.waitFor((m) => m.msg === 'process_starts', 'process_starts');

    const other = session(server);
    await other.joined(0, ['mine']);
    await other.open();
    // The foreign cancel is refused exactly like an unknown event, and changes nothing.
    const foreign = await other.cancel(ownEvent);
    expect(foreign.status).toBe(404);
    const unknown = await owner.cancel('0123456789abcdef0123456789abcdef');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { detail: string }).detail).toBe(
      ((await foreign.json()) as { detail: string }).detail,
    );

    gate.resolve();
    await owner.waitEnded();
    await other.waitEnded();
    expect(owner.of(ownEvent).at(-1)).toMatchObject({
      msg: 'process_completed',
      success: true,
      output: { data: ['block'] },
    });
    expect(other.messages.some((m) => m.event_id === ownEvent)).toBe(false);
    await nothingLeft(server);
  });

  it('a second stream for a session that has one is refused (409); the first keeps its events', async () => {
    const { server, gate } = await start();
    const owner = session(server);
    const id = await owner.joined(0, ['block']);
    await owner.open();
    await owner.waitFor((m) => m.msg === 'process_starts', 'process_starts');
    const thief = session(server, owner.hash);
    await thief.open();
    expect(thief.streamStatus).toBe(409);
    gate.resolve();
    await owner.waitEnded();
    expect(owner.of(id).at(-1)).toMatchObject({ msg: 'process_completed', success: true });
    expect(owner.messages.at(-1)).toMatchObject({ msg: 'close_stream' });
    await nothingLeft(server);
  });

  it('a stream for an unknown session hears unexpected_error with session_not_found, then ends', async () => {
    const { server } = await start();
    const stranger = session(server);
    await stranger.open();
    await stranger.waitEnded();
    expect(stranger.streamStatus).toBe(200);
    expect(stranger.messages).toEqual([
      {
        msg: 'unexpected_error',
        event_id: null,
        message: 'Session not found.',
        session_not_found: true,
        success: false,
      },
    ]);
    await nothingLeft(server);
  });
});

describe('a stream that goes away', () => {
  it('closing it with events still waiting removes them from the queue at once', async () => {
    const { server, gate } = await start();
    const running = session(server);
    await running.joined(0, ['block']);
    await running.open();
    await running.waitFor((m) => m.msg === 'process_starts', 'process_starts');

    const leaver = session(server);
    for (const text of ['a', 'b', 'c']) await leaver.joined(0, [text]);
    await leaver.open();
    await vi.waitFor(() => expect(server.stats().waiting).toBe(3));
    leaver.close();
    // Still blocked: the three left the line without waiting for their turn.
    await vi.waitFor(() => expect(server.stats().waiting).toBe(0));
    expect(server.stats().running).toBe(1);
    gate.resolve();
    await running.waitEnded();
    await nothingLeft(server);
  });

  it('a session whose stream never opens loses its events after handshakeTimeoutMs', async () => {
    const { server, gate } = await start({ handshakeTimeoutMs: 50 });
    const running = session(server);
    await running.joined(0, ['block']);
    await running.open();
    const absent = session(server);
    await absent.joined(0, ['never read']);
    await vi.waitFor(() => expect(server.stats().waiting).toBe(0));
    gate.resolve();
    await running.waitEnded();
    await nothingLeft(server);
  });

  it('a stream opened and never read is cut off past maxBufferedBytes; its generator is aborted', async () => {
    const state = { aborted: false, frames: 0 };
    const chunk = 'x'.repeat(256 * 1024);
    const firehose: EndpointDefinition = {
      fn: async function* (_data, { signal }) {
        signal.addEventListener('abort', () => (state.aborted = true));
        while (!signal.aborted) {
          state.frames++;
          // Different each time, so each diff carries the whole chunk.
          yield [`${state.frames}${chunk}`];
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    };
    const { server } = await start(
      { concurrencyCount: 2, slowClientBytes: 16 * 1024, maxBufferedBytes: 512 * 1024 },
      { '/stream': firehose },
    );
    const slow = session(server);
    await slow.joined(1, []);
    // A raw socket that asks for the stream, then never reads a byte.
    const socket = netConnect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`GET /gradio_api/queue/data?session_hash=${slow.hash} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    socket.pause();
    await vi.waitFor(() => expect(state.frames).toBeGreaterThan(0));

    await stillServes(server);
    await vi.waitFor(() => expect(state.aborted).toBe(true), { timeout: 10_000 });
    socket.destroy();
    await nothingLeft(server);
  });
});

describe('heartbeat', () => {
  it('an open stream hears a heartbeat every heartbeatIntervalMs while its job runs', async () => {
    const { server, gate } = await start({ heartbeatIntervalMs: 20 });
    const s = session(server);
    const id = await s.joined(0, ['block']);
    await s.open();
    await s.waitFor((m) => m.msg === 'heartbeat', 'a heartbeat');
    expect(s.messages.find((m) => m.msg === 'heartbeat')).toEqual({ msg: 'heartbeat', event_id: null });
    gate.resolve();
    await s.waitEnded();
    expect(s.of(id).map((m) => m.msg)).toEqual(['estimation', 'process_starts', 'process_completed']);
    await nothingLeft(server);
  });
});
