import { describe, expect, it, vi } from 'vitest';
import { WorkerError } from './errors.js';
import { WorkerPool } from './worker-pool.js';
import type { WorkerHandle } from './worker-pool.js';

interface Call {
  value: string;
  resolve: (value: string) => void;
  reject: (error: Error) => void;
}

interface FakeApi {
  work(value: string): Promise<string>;
}

/** In-process fake workers: each call waits until the test settles it; `exit` kills the worker. */
function fakeWorkers() {
  const workers: { id: number; calls: Call[]; terminated: boolean; closed: boolean; exit: (reason: Error) => void }[] =
    [];
  const spawn = (): WorkerHandle<FakeApi> => {
    let exit!: (reason: Error) => void;
    const exited = new Promise<Error>((resolve) => (exit = resolve));
    const worker = { id: workers.length, calls: [] as Call[], terminated: false, closed: false, exit };
    workers.push(worker);
    const api: FakeApi = {
      work: (value) => new Promise((resolve, reject) => worker.calls.push({ value, resolve, reject })),
    };
    return {
      api,
      exited,
      terminate: () => {
        worker.terminated = true;
        exit(new Error('terminated'));
      },
    };
  };
  /** The pending call with this value, and the worker running it. */
  const find = (value: string) => {
    for (const worker of workers) {
      const call = worker.calls.find((c) => c.value === value);
      if (call) return { worker, call };
    }
    return undefined;
  };
  const settle = (value: string) => {
    const found = find(value);
    if (!found) throw new Error(`no pending call ${value}`);
    found.worker.calls.splice(found.worker.calls.indexOf(found.call), 1);
    found.call.resolve(`${value} done by ${found.worker.id}`);
  };
  return { workers, spawn, find, settle };
}

async function startedPool(size: number) {
  const fake = fakeWorkers();
  const pool = new WorkerPool<FakeApi>({
    size,
    spawn: fake.spawn,
    close: async () => {
      fake.workers.forEach((w) => (w.closed = true));
    },
    name: 'test pool',
  });
  await pool.start();
  return { fake, pool };
}

const work = (value: string) => (api: FakeApi) => api.work(value);

describe('WorkerPool', () => {
  it('runs at most `size` tasks at once and queues the rest in order', async () => {
    const { fake, pool } = await startedPool(2);
    const results = ['a', 'b', 'c', 'd'].map((v) => pool.run(work(v)));
    await vi.waitFor(() => expect(fake.find('b')).toBeDefined());
    const [first, second] = [fake.find('a')?.worker.id, fake.find('b')?.worker.id];
    expect(first).not.toBe(second);
    expect(fake.find('c')).toBeUndefined();
    fake.settle('b');
    await vi.waitFor(() => expect(fake.find('c')?.worker.id).toBe(second));
    expect(fake.find('d')).toBeUndefined();
    fake.settle('a');
    await vi.waitFor(() => expect(fake.find('d')?.worker.id).toBe(first));
    fake.settle('c');
    fake.settle('d');
    expect(await Promise.all(results)).toEqual([
      `a done by ${first}`,
      `b done by ${second}`,
      `c done by ${second}`,
      `d done by ${first}`,
    ]);
    await pool.dispose();
  });

  it('hands a task the worker that finished last, whose threads are still warm', async () => {
    const { fake, pool } = await startedPool(2);
    const a = pool.run(work('a'));
    const b = pool.run(work('b'));
    await vi.waitFor(() => expect(fake.find('b')).toBeDefined());
    const second = fake.find('b')?.worker.id;
    fake.settle('a');
    await a;
    fake.settle('b');
    await b;
    const next = pool.run(work('next'));
    await vi.waitFor(() => expect(fake.find('next')?.worker.id).toBe(second));
    fake.settle('next');
    await next;
    await pool.dispose();
  });

  it('fails only the task that throws, and keeps its worker', async () => {
    const { fake, pool } = await startedPool(1);
    const failing = pool.run(work('bad'));
    await vi.waitFor(() => expect(fake.find('bad')).toBeDefined());
    fake.find('bad')?.call.reject(new Error('model error'));
    await expect(failing).rejects.toThrow('model error');
    const next = pool.run(work('next'));
    await vi.waitFor(() => expect(fake.find('next')).toBeDefined());
    fake.settle('next');
    expect(await next).toBe('next done by 0');
    expect(fake.workers).toHaveLength(1);
    await pool.dispose();
  });

  it('fails the task of a worker that exits, replaces the worker, and leaves other tasks alone', async () => {
    const { fake, pool } = await startedPool(2);
    const doomed = pool.run(work('doomed'));
    const fine = pool.run(work('fine'));
    const queued = pool.run(work('queued'));
    await vi.waitFor(() => expect(fake.find('fine')).toBeDefined());
    const fineWorker = fake.find('fine')?.worker.id;
    fake.find('doomed')?.worker.exit(new Error('exited with code 3'));
    const error = await doomed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toMatchObject({ code: 'WORKER_CRASHED', message: expect.stringContaining('exited with code 3') });
    await vi.waitFor(() => expect(fake.find('queued')?.worker.id).toBe(2));
    fake.settle('fine');
    fake.settle('queued');
    expect(await fine).toBe(`fine done by ${fineWorker}`);
    expect(await queued).toBe('queued done by 2');
    expect(pool.size).toBe(2);
    await pool.dispose();
  });

  it('terminates and replaces the worker of an aborted task', async () => {
    const { fake, pool } = await startedPool(1);
    const controller = new AbortController();
    const hung = pool.run(work('hung'), controller.signal);
    await vi.waitFor(() => expect(fake.find('hung')).toBeDefined());
    controller.abort(new Error('the call timed out'));
    await expect(hung).rejects.toMatchObject({
      code: 'RUN_ABORTED',
      message: expect.stringContaining('the call timed out'),
    });
    expect(fake.workers[0]?.terminated).toBe(true);
    const next = pool.run(work('next'));
    await vi.waitFor(() => expect(fake.find('next')?.worker.id).toBe(1));
    fake.settle('next');
    expect(await next).toBe('next done by 1');
    await pool.dispose();
  });

  it('drops a waiting task whose signal aborts, without touching any worker', async () => {
    const { fake, pool } = await startedPool(1);
    const busy = pool.run(work('busy'));
    const controller = new AbortController();
    const waiting = pool.run(work('waiting'), controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({
      code: 'RUN_ABORTED',
      message: expect.stringContaining('before it started'),
    });
    await vi.waitFor(() => expect(fake.find('busy')).toBeDefined());
    fake.settle('busy');
    await busy;
    expect(fake.workers.map((w) => w.terminated)).toEqual([false]);
    await expect(pool.run(work('late'), AbortSignal.abort())).rejects.toMatchObject({ code: 'RUN_ABORTED' });
    await pool.dispose();
  });

  it('replaces an idle worker that dies', async () => {
    const { fake, pool } = await startedPool(1);
    fake.workers[0]?.exit(new Error('out of memory'));
    await vi.waitFor(() => expect(fake.workers).toHaveLength(2));
    const next = pool.run(work('next'));
    await vi.waitFor(() => expect(fake.find('next')).toBeDefined());
    fake.settle('next');
    expect(await next).toBe('next done by 1');
    await pool.dispose();
  });

  it('fails to start when a worker fails to initialise, and stops the others', async () => {
    const fake = fakeWorkers();
    let inits = 0;
    const pool = new WorkerPool<FakeApi>({
      size: 3,
      spawn: fake.spawn,
      init: async () => {
        if (++inits === 2) throw new Error('could not load ONNX model "m.onnx"');
      },
    });
    await expect(pool.start()).rejects.toThrow('could not load ONNX model "m.onnx"');
    expect(fake.workers.map((w) => w.terminated)).toEqual([true, true, true]);
    expect(pool.size).toBe(0);
  });

  it('fails waiting tasks when no worker can be started, and tries again for the next task', async () => {
    const fake = fakeWorkers();
    let failInit = false;
    const pool = new WorkerPool<FakeApi>({
      size: 1,
      spawn: fake.spawn,
      init: async () => {
        if (failInit) throw new Error('no memory left');
      },
    });
    await pool.start();
    const doomed = pool.run(work('doomed'));
    await vi.waitFor(() => expect(fake.find('doomed')).toBeDefined());
    failInit = true;
    const waiting = pool.run(work('waiting'));
    fake.workers[0]?.exit(new Error('crashed'));
    await expect(doomed).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    await expect(waiting).rejects.toMatchObject({
      code: 'WORKER_CRASHED',
      message: expect.stringContaining('no memory left'),
    });
    failInit = false;
    const later = pool.run(work('later'));
    await vi.waitFor(() => expect(fake.find('later')).toBeDefined());
    fake.settle('later');
    expect(await later).toBe('later done by 2');
    await pool.dispose();
  });

  it('on dispose, closes idle workers, terminates all, and fails running and waiting tasks', async () => {
    const { fake, pool } = await startedPool(2);
    const running = pool.run(work('running'));
    await vi.waitFor(() => expect(fake.find('running')).toBeDefined());
    const other = pool.run(work('other'));
    const waiting = pool.run(work('waiting'));
    await vi.waitFor(() => expect(fake.find('other')).toBeDefined());
    await pool.dispose();
    await expect(waiting).rejects.toMatchObject({ code: 'POOL_DISPOSED' });
    await expect(running).rejects.toMatchObject({ code: 'POOL_DISPOSED' });
    await expect(other).rejects.toMatchObject({ code: 'POOL_DISPOSED' });
    expect(fake.workers.every((w) => w.terminated)).toBe(true);
    await expect(pool.run(work('after'))).rejects.toMatchObject({ code: 'POOL_DISPOSED' });
  });

  it('lets idle workers close gracefully before terminating them', async () => {
    const { fake, pool } = await startedPool(1);
    await pool.dispose();
    expect(fake.workers[0]).toMatchObject({ closed: true, terminated: true });
  });

  it('refuses to run before start, and a size that is not a positive integer', async () => {
    const fake = fakeWorkers();
    const pool = new WorkerPool<FakeApi>({ size: 1, spawn: fake.spawn });
    await expect(pool.run(work('x'))).rejects.toMatchObject({ code: 'POOL_NOT_STARTED' });
    expect(() => new WorkerPool<FakeApi>({ size: 0, spawn: fake.spawn })).toThrow(
      'size: expected an integer ≥ 1, got 0',
    );
  });
});
