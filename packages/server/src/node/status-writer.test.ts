import { describe, expect, it } from 'vitest';
import { resolveSendLimits } from './send-limits.js';
import { StatusWriter, type WritableSocket } from './status-writer.js';

class FakeSocket implements WritableSocket {
  bufferedAmount = 0;
  readyState = 1;
  readonly sent: string[] = [];
  terminated = false;

  send(text: string): void {
    this.sent.push(text);
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

/** A writer whose deferred turns the test runs one at a time. */
function setup(limits = {}) {
  const turns: (() => void)[] = [];
  const writer = new StatusWriter(resolveSendLimits({ statusChunkSize: 3, ...limits }), (run) => turns.push(run));
  const turn = (): boolean => {
    const run = turns.shift();
    run?.();
    return run !== undefined;
  };
  return { writer, turn, turns };
}

describe('StatusWriter', () => {
  it('writes a round statusChunkSize sockets per turn', () => {
    const { writer, turn } = setup();
    const sockets = Array.from({ length: 7 }, () => new FakeSocket());
    sockets.forEach((s, i) => writer.attach(s).status(() => `s${i}`));
    expect(sockets.map((s) => s.sent.length)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    turn();
    expect(sockets.map((s) => s.sent.length)).toEqual([1, 1, 1, 0, 0, 0, 0]);
    turn();
    turn();
    expect(sockets.map((s) => s.sent)).toEqual([['s0'], ['s1'], ['s2'], ['s3'], ['s4'], ['s5'], ['s6']]);
    expect(turn()).toBe(false);
    expect(writer.backlog).toBe(0);
  });

  it('keeps only the newest status of a socket and renders it only when written', () => {
    const { writer, turn } = setup();
    const socket = new FakeSocket();
    const out = writer.attach(socket);
    const rendered: string[] = [];
    out.status(() => (rendered.push('old'), 'old'));
    out.status(() => (rendered.push('new'), 'new'));
    turn();
    expect(socket.sent).toEqual(['new']);
    expect(rendered).toEqual(['new']);
    expect(writer.counts.statusesReplaced).toBe(1);
  });

  it('writes other frames at once and drops a status still queued (it is stale)', () => {
    const { writer, turn } = setup();
    const socket = new FakeSocket();
    const out = writer.attach(socket);
    out.status(() => 'estimation');
    expect(out.send('send_data')).toBe(true);
    turn();
    expect(socket.sent).toEqual(['send_data']);
  });

  it('skips statuses of a socket that stopped reading, and writes the others', () => {
    const { writer, turn } = setup({ slowClientBytes: 1_000, maxBufferedBytes: 10_000 });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    slow.bufferedAmount = 5_000;
    writer.attach(slow).status(() => 'a');
    writer.attach(fast).status(() => 'b');
    turn();
    expect([slow.sent, fast.sent, slow.terminated]).toEqual([[], ['b'], false]);
    expect(writer.counts.statusesSkipped).toBe(1);
  });

  it('terminates a socket past maxBufferedBytes when it is written to again', () => {
    const { writer, turn } = setup({ slowClientBytes: 1_000, maxBufferedBytes: 10_000 });
    const stuck = new FakeSocket();
    stuck.bufferedAmount = 10_001;
    const out = writer.attach(stuck);
    expect(out.send('progress')).toBe(false);
    expect([stuck.sent, stuck.terminated]).toEqual([[], true]);
    const other = new FakeSocket();
    other.bufferedAmount = 20_000;
    writer.attach(other).status(() => 'x');
    turn();
    expect([other.sent, other.terminated, writer.counts.terminated]).toEqual([[], true, 2]);
  });

  it('writes nothing to a socket that closed', () => {
    const { writer, turn } = setup();
    const socket = new FakeSocket();
    const out = writer.attach(socket);
    out.status(() => 'x');
    out.close();
    turn();
    socket.readyState = 3;
    expect(out.send('late')).toBe(false);
    expect(socket.sent).toEqual([]);
  });
});

describe('resolveSendLimits', () => {
  it('fills defaults and says what it expected', () => {
    expect(resolveSendLimits()).toEqual({ statusChunkSize: 256, slowClientBytes: 65_536, maxBufferedBytes: 4_194_304 });
    expect(() => resolveSendLimits({ statusChunkSize: 0 })).toThrow('statusChunkSize: expected an integer ≥ 1, got 0');
    expect(() => resolveSendLimits({ slowClientBytes: 10, maxBufferedBytes: 5 })).toThrow(
      'slowClientBytes: expected at most maxBufferedBytes (5), got 10',
    );
  });
});
