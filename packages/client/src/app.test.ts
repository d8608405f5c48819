import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect } from './connect.js';
import { BadRequestError, ConnectionLostError, QueueFullError, TimeoutError } from './errors.js';
import type { JobStatus } from './status.js';
import { fakeTarget, type FakeDuplex } from '../test/test-utils.js';

/** Lets queued microtasks and due fake timers run. */
const flush = (ms = 0): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => {});

const queueFull = { msg: 'queue_full', queue_size: 5, max_size: 5, retry_after: 0.2 };
const done = (data: unknown[]) => ({
  msg: 'process_completed',
  output: { data, is_generating: false, duration: 0.1, average_duration: 0.1 },
  success: true,
});

function serve(duplex: FakeDuplex, data: unknown[]): void {
  duplex.push({ msg: 'send_hash' });
  duplex.push({ msg: 'send_data' });
  duplex.push({ msg: 'process_starts', eta: null });
  duplex.push(done(data));
}

const unhandled = vi.fn();
beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  unhandled.mockClear();
  process.on('unhandledRejection', unhandled);
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  // Node reports an unhandled rejection once the microtask queue drains: give it a macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', unhandled);
  expect(unhandled).not.toHaveBeenCalled();
});

describe('connect(target)', () => {
  it('learns endpoints from the config: api_name → fn_index, batch and generator flags', async () => {
    const app = await connect(fakeTarget());
    expect(app.endpoints.map((e) => [e.fnIndex, e.apiName, e.batch, e.generator])).toEqual([
      [0, '/predict', false, false],
      [1, null, false, false],
      [2, '/stream', false, true],
      [3, '/classify', true, false],
    ]);
    expect(app.endpoints[0]?.parameters[0]?.label).toBe('text');
    expect(app.config.version).toBe('3.50.2');
    expect(app.sessionHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses an unknown endpoint with BAD_REQUEST and opens nothing', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    expect(() => app.submit('/nope', [])).toThrow(BadRequestError);
    expect(() => app.submit(9, [])).toThrow('endpoint: expected one of /predict, 1, /stream, /classify, got 9');
    await expect(app.predict('/nope', [])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(() => app.submit('/predict', 'hi' as unknown as unknown[])).toThrow('data: expected an array, got "hi"');
    await flush();
    expect(target.duplexes).toHaveLength(0);
  });

  it('submits by api name with or without the slash, or by fn_index', async () => {
    const target = fakeTarget();
    const app = await connect(target, { sessionHash: 'mine' });
    const jobs = [app.submit('/predict', [1]), app.submit('predict', [2]), app.submit(1, [3])];
    await flush();
    target.duplexes.forEach((d, i) => serve(d, [i]));
    expect(await Promise.all(jobs.map((j) => j.result))).toEqual([[0], [1], [2]]);
    // The second job of endpoint 0 overlaps the first, so it gets a hash of its own (issue 24.8).
    expect(target.duplexes.map((d) => d.frames[0])).toEqual([
      { fn_index: 0, session_hash: 'mine' },
      { fn_index: 0, session_hash: expect.not.stringMatching(/^mine$/) },
      { fn_index: 1, session_hash: 'mine' },
    ]);
  });

  it('refuses unserialisable data at submit', async () => {
    const app = await connect(fakeTarget());
    expect(() => app.submit('/predict', [10n])).toThrow(BadRequestError);
  });
});

describe('retries', () => {
  it('retries queue_full after a retrying status, honouring retry_after, then succeeds', async () => {
    const target = fakeTarget();
    const app = await connect(target, { retry: { baseDelayMs: 1000 } });
    const statuses: JobStatus[] = [];
    const job = app.submit('/predict', ['x'], { onStatus: (s) => statuses.push(s) });
    await flush();
    target.duplexes[0]!.push({ msg: 'send_hash' });
    target.duplexes[0]!.push(queueFull);
    await flush();
    // retry_after 0.2 s, then random 0.5 of a 1000 ms cap = 500 ms on top.
    expect(statuses).toEqual([{ type: 'retrying', attempt: 2, delayMs: 700, reason: 'queue_full' }]);
    await flush(699);
    expect(target.duplexes).toHaveLength(1);
    await flush(1);
    expect(target.duplexes).toHaveLength(2);
    target.duplexes[1]!.push({ msg: 'send_hash' });
    target.duplexes[1]!.push(queueFull);
    await flush();
    expect(statuses[1]).toEqual({ type: 'retrying', attempt: 3, delayMs: 1200, reason: 'queue_full' });
    await flush(1200);
    serve(target.duplexes[2]!, ['ok']);
    await expect(job.result).resolves.toEqual(['ok']);
    expect(statuses.map((s) => s.type)).toEqual(['retrying', 'retrying', 'running', 'done']);
  });

  it('waits retry_after, then the jitter', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const job = app.submit('/predict', []);
    await flush();
    target.duplexes[0]!.push({ msg: 'send_hash' });
    target.duplexes[0]!.push({ msg: 'queue_full', retry_after: 3 });
    await flush();
    expect(job.status).toEqual({ type: 'retrying', attempt: 2, delayMs: 3250, reason: 'queue_full' });
    job.cancel();
  });

  it('gives up after maxAttempts with QUEUE_FULL and the last queue_full fields', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const job = app.submit('/predict', [], { retry: { maxAttempts: 3, baseDelayMs: 10 } });
    for (let i = 0; i < 3; i++) {
      await flush(300); // past retry_after (0.2 s)
      target.duplexes[i]!.push({ msg: 'send_hash' });
      target.duplexes[i]!.push({ ...queueFull, queue_size: 5 + i });
    }
    const error = await job.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', attempts: 3, queueSize: 7, maxSize: 5, retryAfter: 0.2 });
    expect(target.duplexes).toHaveLength(3);
    expect(job.status).toMatchObject({ type: 'failed' });
  });

  it('gives up at the deadline', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const job = app.submit('/predict', [], { retry: { deadlineMs: 2_000 } });
    await flush();
    target.duplexes[0]!.push({ msg: 'send_hash' });
    target.duplexes[0]!.push({ msg: 'queue_full', retry_after: 1.5 });
    await flush(1_750);
    target.duplexes[1]!.push({ msg: 'send_hash' });
    target.duplexes[1]!.push({ msg: 'queue_full', retry_after: 1.5 });
    await expect(job.result).rejects.toMatchObject({ code: 'QUEUE_FULL', attempts: 2 });
  });

  it('never retries when retry is false', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const job = app.submit('/predict', [], { retry: false });
    await flush();
    target.duplexes[0]!.push({ msg: 'send_hash' });
    target.duplexes[0]!.push(queueFull);
    await expect(job.result).rejects.toMatchObject({ code: 'QUEUE_FULL', attempts: 1 });
  });

  it('retries a connection that fails before the data was sent', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const statuses: JobStatus[] = [];
    const job = app.submit('/predict', ['x'], { onStatus: (s) => statuses.push(s) });
    await flush();
    target.duplexes[0]!.end(1006);
    await flush(250);
    serve(target.duplexes[1]!, ['y']);
    await expect(job.result).resolves.toEqual(['y']);
    expect(statuses[0]).toEqual({ type: 'retrying', attempt: 2, delayMs: 250, reason: 'connection' });
  });

  it('gives up on connections with CONNECTION_LOST, and on silent servers with TIMEOUT', async () => {
    const target = fakeTarget();
    const app = await connect(target, { retry: { maxAttempts: 2 }, connectTimeoutMs: 1_000 });
    const lost = app.submit('/predict', []);
    await flush();
    target.duplexes[0]!.end(1006);
    await flush(250);
    target.duplexes[1]!.end(1006);
    await expect(lost.result).rejects.toBeInstanceOf(ConnectionLostError);

    const silent = app.submit('/predict', []);
    const outcome = silent.result.catch((e: unknown) => e);
    await flush(1_000 + 250 + 1_000);
    expect(await outcome).toBeInstanceOf(TimeoutError);
  });

  it('never resubmits once the data was sent: a drop is CONNECTION_LOST', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const job = app.submit('/predict', ['x']);
    await flush();
    target.duplexes[0]!.push({ msg: 'send_hash' });
    target.duplexes[0]!.push({ msg: 'send_data' });
    target.duplexes[0]!.end(1000);
    await expect(job.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await flush(60_000);
    expect(target.duplexes).toHaveLength(1);
  });
});

describe('cancel', () => {
  it('during a retry wait: no further attempt, CANCELLED', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const controller = new AbortController();
    const job = app.submit('/predict', [], { signal: controller.signal });
    await flush();
    target.duplexes[0]!.push({ msg: 'send_hash' });
    target.duplexes[0]!.push(queueFull);
    await flush();
    expect(job.status?.type).toBe('retrying');
    controller.abort();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await flush(60_000);
    expect(target.duplexes).toHaveLength(1);
  });

  it('while waiting and while running closes the duplex', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const waiting = app.submit('/predict', []);
    const running = app.submit('/predict', []);
    await flush();
    const [w, r] = target.duplexes as [FakeDuplex, FakeDuplex];
    w.push({ msg: 'send_hash' });
    r.push({ msg: 'send_hash' });
    r.push({ msg: 'send_data' });
    r.push({ msg: 'process_starts', eta: 1 });
    waiting.cancel();
    running.cancel();
    expect(w.closed && r.closed).toBe(true);
    await expect(waiting.result).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(running.result).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('app.close() cancels every job still going and refuses new ones', async () => {
    const target = fakeTarget();
    const app = await connect(target);
    const job = app.submit('/predict', []);
    await flush();
    app.close();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(target.duplexes[0]!.closed).toBe(true);
    expect(() => app.submit('/predict', [])).toThrow(BadRequestError);
  });
});
