import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, ServerError, TimeoutError } from './errors.js';
import { createJob } from './job.js';
import type { JobStatus } from './status.js';

type Emit = (status: JobStatus) => void;

/** A job whose work the test drives by hand. */
function manualJob(hooks: Parameters<typeof createJob>[1] = {}) {
  let emit: Emit = () => {};
  let signal: AbortSignal | undefined;
  const work = vi.fn((e: Emit, s: AbortSignal) => {
    emit = e;
    signal = s;
    return new Promise<void>(() => {});
  });
  const job = createJob<unknown[]>(work, hooks);
  return { job, work, emit: (s: JobStatus) => emit(s), signal: () => signal };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const unhandled = vi.fn();
beforeEach(() => {
  unhandled.mockClear();
  process.on('unhandledRejection', unhandled);
});
afterEach(async () => {
  // Node reports an unhandled rejection once the microtask queue drains: give it a macrotask.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', unhandled);
  expect(unhandled).not.toHaveBeenCalled();
});

describe('createJob', () => {
  // Issue 24.5: every status was kept for the job's life (an 8,000-token stream held 194 MB).
  it('keeps no history: only what live iterators still have to deliver', async () => {
    const { job, emit, work } = manualJob({});
    await vi.waitFor(() => expect(work).toHaveBeenCalled());
    const sizes = (): number => (job as unknown as { bufferedStatuses(): number }).bufferedStatuses();
    for (let i = 0; i < 10_000; i++) emit({ type: 'partial', data: [i] });
    expect(sizes()).toBe(0);
    expect(job.status).toEqual({ type: 'partial', data: [9_999] });
    const iterator = job[Symbol.asyncIterator]();
    expect(sizes()).toBe(1);
    for (let i = 0; i < 5; i++) emit({ type: 'partial', data: [i] });
    expect(sizes()).toBe(6);
    await iterator.next();
    await iterator.next();
    expect(sizes()).toBe(4);
    await iterator.return?.();
    expect(sizes()).toBe(0);
  });

  it('gives an iterator the latest status and every later one, as onStatus, ending after done', async () => {
    const onStatus = vi.fn();
    const { job, emit, work } = manualJob({ onStatus });
    const early = collect(job);
    await vi.waitFor(() => expect(work).toHaveBeenCalled());
    const sequence: JobStatus[] = [
      { type: 'queued', position: 1, queueSize: 2, eta: null, etaAt: null },
      { type: 'running', eta: null },
      { type: 'partial', data: [1] },
      { type: 'done', data: ['x'], duration: 0.1 },
    ];
    const alsoEarly = collect(job);
    emit(sequence[0]!);
    emit(sequence[1]!);
    const middle = collect(job);
    emit(sequence[2]!);
    emit(sequence[3]!);
    emit({ type: 'running', eta: null }); // after the end: dropped
    const late = collect(job);
    expect(await early).toEqual(sequence);
    expect(await alsoEarly).toEqual(sequence);
    expect(await middle).toEqual(sequence.slice(1));
    expect(await late).toEqual(sequence.slice(3));
    expect(onStatus.mock.calls.map(([s]) => s)).toEqual(sequence);
    await expect(job.result).resolves.toEqual(['x']);
    expect(job.status).toEqual(sequence[3]);
  });

  it('rejects result with the failed status error', async () => {
    const { job, emit, work } = manualJob();
    await vi.waitFor(() => expect(work).toHaveBeenCalled());
    const error = new ServerError('boom');
    emit({ type: 'failed', error });
    await expect(job.result).rejects.toBe(error);
    expect(await collect(job)).toEqual([{ type: 'failed', error }]);
  });

  it('does not leave an unhandled rejection when only iterated', async () => {
    const { job, emit, work } = manualJob();
    await vi.waitFor(() => expect(work).toHaveBeenCalled());
    emit({ type: 'failed', error: new ServerError('nobody awaits result') });
    expect((await collect(job)).map((s) => s.type)).toEqual(['failed']);
  });

  it('never starts the work when cancelled at once', async () => {
    const { job, work } = manualJob();
    job.cancel();
    await expect(job.result).rejects.toBeInstanceOf(CancelledError);
    expect(work).not.toHaveBeenCalled();
  });

  it('never starts the work when the signal is already aborted', async () => {
    const { job, work } = manualJob({ signal: AbortSignal.abort('gone') });
    const error = await job.result.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CANCELLED', cause: 'gone' });
    expect(work).not.toHaveBeenCalled();
  });

  it('cancels on abort: failed CANCELLED, iterators end, the work is told to stop', async () => {
    const controller = new AbortController();
    const { job, work, signal } = manualJob({ signal: controller.signal });
    await vi.waitFor(() => expect(work).toHaveBeenCalled());
    const statuses = collect(job);
    controller.abort();
    expect(signal()?.aborted).toBe(true);
    expect((await statuses).map((s) => s.type)).toEqual(['failed']);
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('turns an AbortSignal.timeout into TIMEOUT', async () => {
    const { job } = manualJob({ signal: AbortSignal.abort(new DOMException('late', 'TimeoutError')) });
    await expect(job.result).rejects.toBeInstanceOf(TimeoutError);
  });

  it('makes cancel after the end a no-op', async () => {
    const { job, emit, work } = manualJob();
    await vi.waitFor(() => expect(work).toHaveBeenCalled());
    emit({ type: 'done', data: [1], duration: 0 });
    job.cancel();
    await expect(job.result).resolves.toEqual([1]);
    expect(job.status?.type).toBe('done');
  });

  it('fails the job if the work itself rejects (a bug), never leaving it hanging', async () => {
    const job = createJob(() => Promise.reject(new Error('bug')), {});
    await expect(job.result).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('reports a throwing onStatus like a listener would, and goes on', async () => {
    const reported: unknown[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => {
      try {
        fn();
      } catch (error) {
        reported.push(error);
      }
    });
    try {
      const job = createJob<unknown[]>(async (emit) => emit({ type: 'done', data: [], duration: 0 }), {
        onStatus: () => {
          throw new Error('listener bug');
        },
      });
      await expect(job.result).resolves.toEqual([]);
      expect(reported).toEqual([new Error('listener bug')]);
    } finally {
      spy.mockRestore();
    }
  });
});
