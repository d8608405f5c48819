import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAttempt, type AttemptPlan } from './job-socket.js';
import type { JobStatus } from './status.js';
import { FakeDuplex } from '../test/test-utils.js';

const NOW = 1_700_000_000_000;

function attempt(overrides: Partial<AttemptPlan> = {}) {
  const duplex = new FakeDuplex();
  const statuses: JobStatus[] = [];
  const controller = new AbortController();
  const plan: AttemptPlan = {
    open: () => duplex,
    fnIndex: 2,
    sessionHash: 'abc',
    dataFrame: JSON.stringify({ data: ['hi'], event_data: null, fn_index: 2, session_hash: 'abc' }),
    connectTimeoutMs: 5_000,
    now: () => NOW,
    ...overrides,
  };
  const outcome = runAttempt(plan, (s) => statuses.push(s), controller.signal);
  return { duplex, statuses, outcome, controller };
}

const estimation = (rank: number, eta: number | null) => ({
  msg: 'estimation',
  rank,
  queue_size: 4,
  avg_event_process_time: null,
  avg_event_concurrent_process_time: null,
  rank_eta: eta,
  queue_eta: 0,
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('runAttempt', () => {
  it('plays the Gradio 3 conversation, sending exactly its frames', async () => {
    const { duplex, statuses, outcome } = attempt();
    duplex.push({ msg: 'send_hash' });
    expect(duplex.sent).toEqual(['{"fn_index":2,"session_hash":"abc"}']);
    duplex.push(estimation(1, 3));
    duplex.push(estimation(0, 1.5));
    duplex.push({ msg: 'send_data' });
    expect(duplex.sent[1]).toBe('{"data":["hi"],"event_data":null,"fn_index":2,"session_hash":"abc"}');
    duplex.push({ msg: 'process_starts', eta: 1 });
    duplex.push({
      msg: 'progress',
      progress_data: [{ index: 1, length: 2, unit: 'steps', progress: null, desc: null }],
    });
    duplex.push({ msg: 'process_generating', output: { data: ['h'], is_generating: true }, success: true });
    duplex.push({
      msg: 'process_completed',
      output: { data: ['HI'], is_generating: false, duration: 0.5, average_duration: 0.5 },
      success: true,
    });
    expect(await outcome).toEqual({ type: 'terminal', status: { type: 'done', data: ['HI'], duration: 0.5 } });
    expect(statuses.map((s) => s.type)).toEqual(['queued', 'queued', 'running', 'progress', 'partial']);
    expect(statuses[0]).toEqual({ type: 'queued', position: 1, queueSize: 4, eta: 3, etaAt: NOW + 3000 });
    expect(duplex.closed).toBe(true);
    expect(duplex.sent).toHaveLength(2);
  });

  it('skips log, heartbeat, unknown and malformed frames', async () => {
    const { duplex, statuses, outcome } = attempt();
    duplex.push({ msg: 'log', log: 'hello', level: 'info' });
    duplex.push({ msg: 'heartbeat' });
    duplex.push('{not json');
    duplex.push('[1,2,3]');
    duplex.push({ msg: 'estimation', rank: 'first' });
    duplex.push({ msg: 'send_hash' });
    duplex.push({ msg: 'send_data' });
    duplex.push({ msg: 'process_completed', output: { error: 'bad input' }, success: false });
    const result = await outcome;
    expect(result.type === 'terminal' && result.status).toMatchObject({
      type: 'failed',
      error: { code: 'SERVER_ERROR', message: 'bad input' },
    });
    expect(statuses).toEqual([]);
  });

  it('answers send_data once', async () => {
    const { duplex, statuses, outcome } = attempt();
    duplex.push({ msg: 'send_hash' });
    duplex.push({ msg: 'send_data' });
    duplex.push({ msg: 'send_data' });
    duplex.end(1011, 'crash');
    expect(duplex.sent).toHaveLength(2);
    expect(statuses).toEqual([]);
    expect(await outcome).toMatchObject({ type: 'lost', dataSent: true, code: 1011, reason: 'crash' });
  });

  it('keeps a job queued after send_data until process_starts (prefetch), and ignores estimations after it', async () => {
    const { duplex, statuses } = attempt();
    duplex.push({ msg: 'send_hash' });
    duplex.push({ msg: 'send_data' });
    duplex.push(estimation(2, 3));
    duplex.push(estimation(1, 2));
    duplex.push({ msg: 'process_starts', eta: 1 });
    duplex.push(estimation(0, 1));
    expect(statuses.map((s) => (s.type === 'queued' ? `queued ${s.position}` : s.type))).toEqual([
      'queued 2',
      'queued 1',
      'running',
    ]);
  });

  it('reports queue_full with its fields and closes', async () => {
    const { duplex, outcome } = attempt();
    duplex.push({ msg: 'send_hash' });
    duplex.push({ msg: 'queue_full', queue_size: 3, max_size: 3, retry_after: 2 });
    expect(await outcome).toEqual({
      type: 'queue_full',
      message: { msg: 'queue_full', queue_size: 3, max_size: 3, retry_after: 2 },
    });
    expect(duplex.closed).toBe(true);
  });

  it('calls a close before send_data a retryable loss', async () => {
    const { duplex, outcome } = attempt();
    duplex.push({ msg: 'send_hash' });
    duplex.end(1000);
    expect(await outcome).toMatchObject({ type: 'lost', dataSent: false, timedOut: false, code: 1000 });
  });

  it('times out when send_hash does not come', async () => {
    const { duplex, outcome } = attempt();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(duplex.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ type: 'lost', dataSent: false, timedOut: true });
    expect(duplex.closed).toBe(true);
  });

  it('does not time out once send_hash came, however long the wait', async () => {
    const { duplex, outcome, controller } = attempt();
    duplex.push({ msg: 'send_hash' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(duplex.closed).toBe(false);
    controller.abort();
    expect(await outcome).toEqual({ type: 'cancelled' });
  });

  it('closes the duplex on abort, and stops listening', async () => {
    const { duplex, outcome, controller, statuses } = attempt();
    duplex.push({ msg: 'send_hash' });
    controller.abort();
    expect(duplex.closed).toBe(true);
    expect(duplex.onmessage).toBeNull();
    expect(await outcome).toEqual({ type: 'cancelled' });
    expect(statuses).toEqual([]);
  });

  it('opens nothing when already aborted', async () => {
    const open = vi.fn(() => new FakeDuplex());
    const controller = new AbortController();
    controller.abort();
    const outcome = await runAttempt(
      { open, fnIndex: 0, sessionHash: 's', dataFrame: '{}', connectTimeoutMs: 1, now: Date.now },
      () => {},
      controller.signal,
    );
    expect(outcome).toEqual({ type: 'cancelled' });
    expect(open).not.toHaveBeenCalled();
  });

  it('turns a throwing open() and a throwing send() into losses', async () => {
    const throwing = attempt({
      open: () => {
        throw new Error('refused');
      },
    });
    expect(await throwing.outcome).toMatchObject({ type: 'lost', dataSent: false, reason: 'Error: refused' });

    const { duplex, outcome } = attempt();
    duplex.send = () => {
      throw new Error('socket gone');
    };
    duplex.push({ msg: 'send_hash' });
    expect(await outcome).toMatchObject({ type: 'lost', dataSent: false, reason: 'Error: socket gone' });
  });
});
