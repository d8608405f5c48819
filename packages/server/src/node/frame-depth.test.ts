import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDepthWatch } from './frame-depth.js';

const TEXT = 0x1;
const CONTINUATION = 0x0;
const PING = 0x9;

/** One masked client frame (RFC 6455 §5.2), with a mask of its own. */
function frame(opcode: number, payload: string | Buffer, fin = true, mask = [0x37, 0xfa, 0x21, 0x3d]): Buffer {
  const body = Buffer.from(payload);
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  if (body.length < 126) head.push(0x80 | body.length);
  else if (body.length < 65536) head.push(0x80 | 126, body.length >> 8, body.length & 0xff);
  else {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(body.length));
    head.push(0x80 | 127, ...length);
  }
  return Buffer.concat([Buffer.from([...head, ...mask]), Buffer.from(body.map((b, i) => b ^ mask[i % 4]!))]);
}

const JOIN = frame(TEXT, '{"fn_index":0,"session_hash":"h"}');
const nested = (depth: number) => `{"data":[${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}]}`;

/** Feeds `bytes` cut at `cuts` (offsets); returns how often the watch said "too deep". */
function watch(bytes: Buffer, cuts: number[] = [], maxDepth = 64): number {
  let calls = 0;
  const w = new FrameDepthWatch(maxDepth, 1, () => calls++);
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    w.push(bytes.subarray(from, cut));
    from = cut;
  }
  w.push(bytes.subarray(from));
  return calls;
}

describe('FrameDepthWatch', () => {
  it('refuses the first message past the budget, counting fragments, control frames between them and masks', () => {
    expect(watch(Buffer.concat([JOIN, frame(TEXT, nested(64))]))).toBe(0);
    expect(watch(Buffer.concat([JOIN, frame(TEXT, nested(65))]))).toBe(1);
    const text = nested(65);
    const fragmented = Buffer.concat([
      JOIN,
      frame(TEXT, text.slice(0, 40), false, [1, 2, 3, 4]),
      frame(PING, '[[[[[[[[', true),
      frame(CONTINUATION, text.slice(40), true, [9, 8, 7, 6]),
    ]);
    expect(watch(fragmented)).toBe(1);
  });

  it('scans no join frame, no string contents, and each message from zero', () => {
    // The join frame is left to its own length limit.
    expect(watch(frame(TEXT, '['.repeat(100)))).toBe(0);
    expect(watch(Buffer.concat([JOIN, frame(TEXT, `{"data":["${'['.repeat(200)}\\""]}`)]))).toBe(0);
    // Two messages of 40 levels each: depth is per message, not per connection.
    const forty = frame(TEXT, '['.repeat(40) + ']'.repeat(40));
    expect(watch(Buffer.concat([JOIN, forty, forty]))).toBe(0);
  });

  it('says so at the bytes that pass the budget, before the frame has ended', () => {
    const big = frame(TEXT, `{"data":[${'['.repeat(1_000_000)}]}`);
    // Only the frame's first 4 KiB arrive: a header declaring 1 MB, then 100 levels and more.
    expect(watch(Buffer.concat([JOIN, big.subarray(0, 4096)]))).toBe(1);
  });

  it('reads the same wherever the connection cuts its bytes (headers and masks split included)', () => {
    const bytes = Buffer.concat([
      JOIN,
      frame(TEXT, '[1,[2]]'),
      frame(TEXT, 'x'.repeat(300), false),
      frame(PING, 'p'),
      frame(CONTINUATION, `,${'['.repeat(70)}`, true),
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }), (cuts) => {
        expect(watch(bytes, cuts)).toBe(1);
        expect(watch(bytes, cuts, 70)).toBe(0);
      }),
    );
  });

  it('refuses a message nobody asked for at the header that takes it past the limit, fragments summed', () => {
    const run = (asked: boolean, bytes: Buffer) => {
      const sizes: number[] = [];
      const w = new FrameDepthWatch(64, 1, () => {}, {
        maxBytes: 100,
        asked: () => asked,
        tooLarge: (n) => sizes.push(n),
      });
      w.push(bytes);
      return sizes;
    };
    const long = Buffer.concat([
      JOIN,
      frame(TEXT, 'a'.repeat(60), false),
      frame(PING, ''),
      frame(CONTINUATION, 'b'.repeat(60)),
    ]);
    expect(run(false, long)).toEqual([120]);
    expect(run(true, long)).toEqual([]);
    // Each message counts from zero, and the join frame is left to its own limit.
    const short = Buffer.concat([
      frame(TEXT, `{"fn_index":0,"session_hash":"${'h'.repeat(200)}"}`),
      frame(TEXT, 'a'.repeat(90)),
      frame(TEXT, 'b'.repeat(90)),
    ]);
    expect(run(false, short)).toEqual([]);
    // Only the header is needed: a frame announced long is refused before any of its payload.
    expect(run(false, Buffer.concat([JOIN, frame(TEXT, 'c'.repeat(300)).subarray(0, 8)]))).toEqual([300]);
  });
});
