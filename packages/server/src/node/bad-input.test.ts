// Whatever a client sends, the server answers with a clear error or a clean close, keeps nothing,
// and goes on serving. Fuzzed with fast-check against a live server on loopback.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from '@crowdserve/protocol';
import type { EndpointDefinition } from '../endpoint.js';
import { serve, type Server } from './serve.js';
import { RawJob } from '../../test/test-utils.js';

const calls: unknown[][] = [];
const endpoints: Record<string, EndpointDefinition> = {
  // fn_index 0: any data, echoed back.
  '/echo': { fn: async (data) => (calls.push(data), data) },
  // fn_index 1: declared inputs, checked before the handler sees them.
  '/typed': {
    inputs: [
      { label: 'text', type: 'string' },
      { label: 'n', type: 'number' },
    ],
    fn: async (data) => (calls.push(data), [`${String(data[0])}:${String(data[1])}`]),
  },
};

let server: Server;
beforeAll(async () => {
  // maxConnectionsPerIp: null, as the fuzz opens sockets faster than they all close.
  // dataTimeoutMs: the queue's data-timeout tick outlives its job and fires idle; short, so `idle()` sees it go.
  server = await serve({ port: 0, host: '127.0.0.1', dataTimeoutMs: 500, maxConnectionsPerIp: null, endpoints });
});
afterAll(() => server.close());

const TERMINAL = new Set<ServerMessage['msg']>(['process_completed', 'queue_full']);

interface Transcript {
  messages: ServerMessage[];
  code: number;
}

/** Plays one conversation: `join` after `send_hash`, then `data` if the server asks for it. */
async function converse(join: string | Uint8Array, data: string | Uint8Array = '{}'): Promise<Transcript> {
  const job = new RawJob(server.url);
  const send = (frame: string | Uint8Array) =>
    typeof frame === 'string' ? job.socket.send(frame) : job.socket.send(frame, { binary: true });
  job.socket.on('message', (raw) => {
    const msg = (JSON.parse(raw.toString()) as ServerMessage).msg;
    if (msg === 'send_hash') send(join);
    if (msg === 'send_data') send(data);
  });
  const code = await job.waitClosed();
  return { messages: job.messages, code };
}

/** A clean close comes after exactly one terminal message, and nothing follows it. */
function expectOneEnding({ messages, code }: Transcript): void {
  expect(code).toBe(1000);
  expect(messages.filter((m) => TERMINAL.has(m.msg))).toHaveLength(1);
  expect(TERMINAL.has(messages.at(-1)!.msg)).toBe(true);
}

async function expectIdleAndServing(): Promise<void> {
  await vi.waitFor(() => expect(Object.values(server.internalSizes()).filter((n) => n !== 0)).toEqual([]), {
    timeout: 5000,
  });
  const good = RawJob.auto(server.url, 0, ['still serving']);
  await good.waitClosed();
  expect(good.last()).toMatchObject({ success: true, output: { data: ['still serving'] } });
}

const error = (t: Transcript): string | undefined => {
  const last = t.messages.at(-1);
  return last?.msg === 'process_completed' && !last.success ? last.output.error : undefined;
};

describe('fuzzing the queue socket', () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
  );

  it('arbitrary text as the join frame: one clear ending, nothing kept', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (join) => {
        expectOneEnding(await converse(join));
      }),
      { numRuns: 150 },
    );
    await expectIdleAndServing();
  });

  it('join-shaped frames with arbitrary fields, then arbitrary data frames', async () => {
    const fnIndex = fc.oneof(fc.constantFrom(0, 1, 2, -1, 0.5, 2 ** 53), fc.jsonValue());
    const sessionHash = fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue());
    const joinFrame = fc
      .record({ fn_index: fnIndex, session_hash: sessionHash }, { requiredKeys: [] })
      .map((v) => JSON.stringify(v));
    const dataFrame = fc.oneof(
      text,
      fc
        .record(
          {
            data: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 4 }), fc.jsonValue()),
            fn_index: fnIndex,
            session_hash: sessionHash,
            event_data: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(joinFrame, dataFrame, async (join, data) => {
        expectOneEnding(await converse(join, data));
      }),
      { numRuns: 200 },
    );
    await expectIdleAndServing();
  });

  it('arbitrary binary frames: answered with an error, never read as a job', async () => {
    const before = calls.length;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), fc.boolean(), async (bytes, asData) => {
        const t = asData
          ? await converse(JSON.stringify({ fn_index: 0, session_hash: 'b' }), bytes)
          : await converse(bytes);
        expectOneEnding(t);
        expect(error(t)).toBe('expected a JSON text frame');
      }),
      { numRuns: 50 },
    );
    expect(calls.length).toBe(before);
    await expectIdleAndServing();
  });

  it('a text frame that is not UTF-8 closes the socket with 1007 and keeps nothing', async () => {
    for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0x7b, 0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const job = new RawJob(server.url);
      await job.waitFor('send_hash');
      job.socket.send(Buffer.from(bytes), { binary: false });
      expect(await job.waitClosed()).toBe(1007);
    }
    await expectIdleAndServing();
  });
});

describe('fuzzing the HTTP predict route', () => {
  it('answers arbitrary bodies with 200, 400 or 422, never a crash', async () => {
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({ data: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()) })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('echo', 'typed'), async (text, api) => {
        const response = await fetch(`${server.url}/run/${api}`, { method: 'POST', body: text });
        expect([200, 400, 422]).toContain(response.status);
        const answer = (await response.json()) as Record<string, unknown>;
        if (response.status !== 200) expect(typeof answer.detail).toBe('string');
      }),
      { numRuns: 150 },
    );
    await expectIdleAndServing();
  });
});

describe('clear errors for wrong requests, and nothing kept', () => {
  const join = (value: unknown) => JSON.stringify(value);
  const dataFor = (fnIndex: number, data: unknown, sessionHash = 'h') =>
    JSON.stringify({ data, event_data: null, fn_index: fnIndex, session_hash: sessionHash });

  it.each([
    [{ fn_index: 7, session_hash: 'h' }, 'unknown fn_index 7'],
    [{ fn_index: -1, session_hash: 'h' }, 'invalid join message: expected an integer ≥ 0, got -1 at $.fn_index'],
    [{ fn_index: 0.5, session_hash: 'h' }, 'invalid join message: expected an integer ≥ 0, got 0.5 at $.fn_index'],
    [{ fn_index: '0', session_hash: 'h' }, 'invalid join message: expected an integer ≥ 0, got "0" at $.fn_index'],
    [
      { fn_index: 2 ** 53, session_hash: 'h' },
      'invalid join message: expected an integer ≥ 0, got 9007199254740992 at $.fn_index',
    ],
    [{ session_hash: 'h' }, 'invalid join message: expected an integer ≥ 0, got undefined at $.fn_index'],
    [
      { fn_index: 0, session_hash: 'x'.repeat(65) },
      'invalid join message: expected at most 64 characters, got 65 at $.session_hash',
    ],
  ])('join %j → %s', async (frame, message) => {
    const before = calls.length;
    const t = await converse(join(frame));
    expectOneEnding(t);
    expect(error(t)).toBe(message);
    expect(calls.length).toBe(before);
    await expectIdleAndServing();
  });

  it.each([
    [1, ['a'], 'expected 2 inputs (text, n), got 1'],
    [1, ['a', 1, 2], 'expected 2 inputs (text, n), got 3'],
    [1, ['a', 'b'], 'expected input 1 (n) to be number, got string'],
    [1, [null, 1], 'expected input 0 (text) to be string, got null'],
    [0, 'not an array', 'invalid data message: expected an array, got "not an array" at $.data'],
  ])('data for fn_index %i: %j → %s', async (fnIndex, data, message) => {
    const before = calls.length;
    const t = await converse(join({ fn_index: fnIndex, session_hash: 'h' }), dataFor(fnIndex, data));
    expectOneEnding(t);
    expect(error(t)).toBe(message);
    expect(calls.length).toBe(before);
    await expectIdleAndServing();
  });

  it('a session_hash over 64 characters in the data frame fails the job', async () => {
    const before = calls.length;
    const t = await converse(join({ fn_index: 0, session_hash: 'h' }), dataFor(0, ['x'], 'y'.repeat(100)));
    expectOneEnding(t);
    expect(error(t)).toBe('invalid data message: expected at most 64 characters, got 100 at $.session_hash');
    expect(calls.length).toBe(before);
    await expectIdleAndServing();
  });

  it('a prototype-reaching key anywhere in the data fails the job', async () => {
    const t = await converse(
      join({ fn_index: 0, session_hash: 'h' }),
      '{"data":[{"a":{"__proto__":{"x":1}}}],"fn_index":0,"session_hash":"h"}',
    );
    expectOneEnding(t);
    expect(error(t)).toContain('"__proto__"');
    await expectIdleAndServing();
  });
});
