// The shared host's bookkeeping against a scripted line (a fake of the one piece it talks to, in this unit
// test only; shared-queue.test.ts runs three real processes on a real redis-server).
import type { ServerMessage } from '@crowdserve/protocol';
import { describe, expect, it, vi } from 'vitest';
import { resolveEndpoints } from '../../core/endpoints.js';
import type { JobSink } from '../../core/host-job.js';
import { QueueHost } from '../../core/queue-host.js';
import type { Claimed } from './line-types.js';
import { RUNNER_GONE_ERROR, SHARED_QUEUE_UNAVAILABLE_REASON, SharedHost, type SharedLine } from './shared-host.js';

const ME = 'me';
const PEER = 'peer';

/** A line whose answers the test gives: joins accepted unless told, claims won unless told. */
class ScriptedLine implements SharedLine {
  readonly processId = ME;
  readonly joins: string[] = [];
  readonly leaves: string[] = [];
  readonly claims: string[][] = [];
  readonly sent: { to: string; body: { t: string; id: string; [key: string]: unknown } }[] = [];
  full = false;
  down = false;
  lose = new Set<string>();

  join(id: string): Promise<{ accepted: true; ticket: number } | { accepted: false; queueSize: number }> {
    this.joins.push(id);
    if (this.down) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(
      this.full ? { accepted: false, queueSize: 3 } : { accepted: true, ticket: this.joins.length },
    );
  }
  leave(id: string): Promise<void> {
    this.leaves.push(id);
    return Promise.resolve();
  }
  claim(ids: string[]): Promise<Claimed[]> {
    this.claims.push(ids);
    return Promise.resolve(ids.filter((id) => !this.lose.has(id)).map((id) => ({ id, data: undefined })));
  }
  stash(): Promise<boolean> {
    return Promise.resolve(true);
  }
  batchStarted(): Promise<void> {
    return Promise.resolve();
  }
  batchFinished(): Promise<void> {
    return Promise.resolve();
  }
  send(to: string, body: unknown): Promise<boolean> {
    this.sent.push({ to, body: body as { t: string; id: string } });
    return Promise.resolve(true);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class RecordingSink implements JobSink {
  readonly messages: ServerMessage[] = [];
  closed: string | undefined;
  send(message: ServerMessage): void {
    this.messages.push(message);
  }
  close(_code: number, reason: string): void {
    this.closed = reason;
  }
  types(): string[] {
    return this.messages.map((m) => m.msg);
  }
}

function setUp(handler: (text: string) => Promise<string> | string = (text) => text.toUpperCase()) {
  const line = new ScriptedLine();
  const endpoints = resolveEndpoints({
    '/up': {
      inputs: [{ label: 'text', type: 'string' }],
      outputs: [{ label: 'text', type: 'string' }],
      fn: async ([text]) => [await handler(String(text))],
    },
  });
  const shared = new SharedHost({
    line,
    maxSize: 3,
    slots: 1,
    leaseMs: 1000,
    makeHost: (hooks) =>
      new QueueHost({
        endpoints,
        concurrencyCount: 1,
        maxSize: null,
        statusUpdateRate: 'auto',
        dataTimeoutMs: 5000,
        ...hooks,
      }),
  });
  const joinEvent = (id: string, owner = ME, ticket = 1) =>
    shared.listener.event({ type: 'join', job: { id, fnIndex: 0, owner, ticket } });
  return { line, shared, joinEvent };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A handler that holds 'block' until `open()`, so the one slot stays busy. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, handler: async (text: string) => (text === 'block' ? (await opened, 'done') : text.toUpperCase()) };
}

describe('SharedHost', () => {
  it('holds a join until the line accepts it, and lets it into the engine only with its join event', async () => {
    const { line, shared, joinEvent } = setUp();
    const sink = new RecordingSink();
    const id = shared.join(sink, 0, ['hi']);
    expect(id).toBe('me.1');
    await shared.admitted(id);
    expect(line.joins).toEqual([id]);
    expect(sink.messages).toEqual([]);
    expect(shared.stats().waiting).toBe(0);

    joinEvent(id);
    await vi.waitFor(() => expect(sink.types()).toContain('process_completed'));
    expect(line.claims).toEqual([[id]]);
    expect(sink.messages.at(-1)).toMatchObject({ success: true, output: { data: ['HI'] } });
    expect(Object.values(shared.internalSizes()).every((size) => size === 0)).toBe(true);
  });

  it('refuses a join the line refuses (global maxSize), or cannot decide (Redis down), as queue_full', async () => {
    const { line, shared } = setUp();
    line.full = true;
    const full = new RecordingSink();
    await shared.admitted(shared.join(full, 0, ['a']));
    expect(full.messages).toEqual([expect.objectContaining({ msg: 'queue_full', max_size: 3 })]);
    expect(full.closed).toBe('queue_full');

    line.full = false;
    line.down = true;
    const down = new RecordingSink();
    await shared.admitted(shared.join(down, 0, ['a']));
    expect(down.messages).toEqual([
      expect.objectContaining({ msg: 'queue_full', reason: SHARED_QUEUE_UNAVAILABLE_REASON, retry_after: 1 }),
    ]);
    expect(Object.values(shared.internalSizes()).every((size) => size === 0)).toBe(true);
  });

  it("runs another process's job on a free slot, talking to its client through the owner", async () => {
    const { line, shared, joinEvent } = setUp();
    joinEvent('peer.1', PEER);
    await vi.waitFor(() => expect(line.sent).toHaveLength(1));
    expect(line.claims).toEqual([['peer.1']]);
    expect(line.sent[0]).toEqual({ to: PEER, body: { t: 'send', id: 'peer.1', message: { msg: 'send_data' } } });

    shared.listener.relay(PEER, { t: 'data', id: 'peer.1', data: ['x'] });
    await vi.waitFor(() => expect(line.sent.map((s) => s.body.t)).toContain('close'));
    const completed = line.sent.find(
      (s) => s.body.t === 'send' && (s.body.message as ServerMessage).msg === 'process_completed',
    );
    expect(completed?.body.message).toMatchObject({ success: true, output: { data: ['X'] } });
    expect(Object.values(shared.internalSizes()).every((size) => size === 0)).toBe(true);
  });

  it('releases a job another process claimed first, and serves the next one', async () => {
    const { line, shared, joinEvent } = setUp();
    line.lose.add('peer.1');
    joinEvent('peer.1', PEER, 1);
    joinEvent('peer.2', PEER, 2);
    await vi.waitFor(() => expect(line.claims).toEqual([['peer.1'], ['peer.2']]));
    shared.listener.event({ type: 'claim', id: 'peer.1', claimer: 'third' });
    await vi.waitFor(() => expect(line.sent.map((s) => s.body.id)).toEqual(['peer.2']));
    expect(shared.stats()).toMatchObject({ waiting: 0, running: 1 });
  });

  it('hands its own job to the process that claimed it: messages come back, data and a leave go there', async () => {
    const slot = gate();
    const { line, shared, joinEvent } = setUp(slot.handler);
    // The only slot is busy, so our job waits until the peer takes it.
    const first = shared.join(new RecordingSink(), 0, ['block']);
    await shared.admitted(first);
    joinEvent(first);
    const sink = new RecordingSink();
    const id = shared.join(sink, 0);
    await shared.admitted(id);
    joinEvent(id, ME, 2);
    shared.listener.event({ type: 'claim', id, claimer: PEER });

    shared.listener.relay(PEER, { t: 'send', id, message: { msg: 'send_data' } });
    expect(sink.types()).toEqual(expect.arrayContaining(['send_data']));
    expect(shared.isAwaitingData(id)).toBe(true);
    shared.receiveData(id, ['mine']);
    expect(line.sent.at(-1)).toEqual({ to: PEER, body: { t: 'data', id, data: ['mine'] } });
    shared.listener.relay(PEER, { t: 'send', id, message: { msg: 'process_starts' } });
    expect(sink.types().at(-1)).toBe('process_starts');

    shared.leave(id);
    expect(line.sent.at(-1)).toEqual({ to: PEER, body: { t: 'cancel', id } });
    expect(shared.internalSizes().sharedProxies).toBe(0);
    slot.open();
  });

  it('fails its own job with a clear error when the process running it is gone', async () => {
    const slot = gate();
    const { shared, joinEvent, line } = setUp(slot.handler);
    shared.listener.event({
      type: 'processes',
      processes: [
        { id: ME, slots: 1 },
        { id: PEER, slots: 2 },
      ],
    });
    const blocker = shared.join(new RecordingSink(), 0, ['block']);
    await shared.admitted(blocker);
    joinEvent(blocker);
    const sink = new RecordingSink();
    const id = shared.join(sink, 0, ['preset']);
    await shared.admitted(id);
    joinEvent(id, ME, 2);
    shared.listener.event({ type: 'claim', id, claimer: PEER });
    // Its data came with the join: the owner answers the runner's ask without its client.
    shared.listener.relay(PEER, { t: 'send', id, message: { msg: 'send_data' } });
    expect(line.sent.at(-1)).toEqual({ to: PEER, body: { t: 'data', id, data: ['preset'] } });

    shared.listener.event({ type: 'processes', processes: [{ id: ME, slots: 1 }] });
    expect(sink.messages.at(-1)).toMatchObject({
      msg: 'process_completed',
      success: false,
      output: { error: RUNNER_GONE_ERROR },
    });
    expect(sink.closed).toBe('error');
    slot.open();
    await flush();
  });
});
