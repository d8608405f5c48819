// connect(local) against connect(url): the same scenario, played on an in-page server and on a
// remote (Node) one with the same queue options and the same endpoint, gives the same statuses.
import { describe, expect, inject, it, vi } from 'vitest';
import { connect } from '@crowdserve/client';
import type { App, Job, JobStatus, SubmitOptions } from '@crowdserve/client';
import { createLocalServer } from './local-server.js';
import { Gate, SCENARIO_QUEUES, heldEndpoints } from '../../test/browser-scenario.js';
import type { ScenarioQueue } from '../../test/browser-scenario.js';

/** One side of the comparison: a connected app, and a way to let one held run finish. */
interface Side {
  app: App;
  release(): Promise<void>;
  close(): Promise<void>;
}

async function localSide(queue: ScenarioQueue): Promise<Side> {
  const gate = new Gate();
  const local = createLocalServer({ ...SCENARIO_QUEUES[queue], endpoints: heldEndpoints(gate) });
  const app = await connect(local);
  return {
    app,
    release: async () => gate.release(),
    close: async () => {
      app.close();
      await local.close();
    },
  };
}

async function remoteSide(queue: ScenarioQueue): Promise<Side> {
  const app = await connect(inject('remoteQueues')[queue]);
  return {
    app,
    release: async () => {
      const response = await fetch(`${inject('gateControl')}/${queue}`, { method: 'POST' });
      if (response.status !== 204) throw new Error(`releasing a run on ${queue}: HTTP ${response.status}`);
    },
    close: async () => app.close(),
  };
}

/** A job whose statuses are recorded as they come. */
interface Tracked {
  job: Job;
  seen: JobStatus[];
}

function submit(side: Side, text: string, options: Omit<SubmitOptions, 'onStatus'> = {}): Tracked {
  const seen: JobStatus[] = [];
  const job = side.app.submit('/hold', [text], { ...options, onStatus: (status) => seen.push(status) });
  return { job, seen };
}

/** Waits until the job's latest status reads `step` (see `describeStatus`). */
async function until(tracked: Tracked, step: string): Promise<void> {
  await vi.waitFor(
    () => {
      const last = tracked.seen.at(-1);
      expect(last && describeStatus(last)).toBe(step);
    },
    { timeout: 10_000, interval: 5 },
  );
}

/** What a status says, without what depends on the clock (ETA values, durations, delays). */
function describeStatus(status: JobStatus): string {
  switch (status.type) {
    case 'queued':
      return `queued ${status.position} of ${status.queueSize}, ${status.eta === null ? 'no ETA' : 'ETA'}`;
    case 'retrying':
      return `retrying (${status.reason})`;
    case 'running':
      return 'running';
    case 'progress':
      return 'progress';
    case 'partial':
      return `partial ${JSON.stringify(status.data)}`;
    case 'done':
      return `done ${JSON.stringify(status.data)}`;
    case 'failed':
      return `failed ${status.error.code}`;
  }
}

/**
 * A job's statuses as steps, repeats folded: how often an unchanged position is re-sent, or a
 * retry is refused again, depends on timing; the sequence of changes does not.
 */
function steps(tracked: Tracked): string[] {
  const all = tracked.seen.map(describeStatus);
  return all.filter((step, i) => step !== all[i - 1]);
}

/** Plays a scenario on one side and returns each job's steps; the side is closed afterwards. */
async function play<T>(side: Side, scenario: (side: Side) => Promise<T>): Promise<T> {
  try {
    return await scenario(side);
  } finally {
    await side.close();
  }
}

/** Three jobs on one slot: the first runs, two wait; each is released in turn. */
async function threeJobs(side: Side) {
  const first = submit(side, 'a');
  await until(first, 'running');
  const second = submit(side, 'b');
  await until(second, 'queued 0 of 1, ETA');
  const third = submit(side, 'c');
  await until(third, 'queued 1 of 2, ETA');
  await side.release();
  await until(first, 'done ["A"]');
  await until(second, 'running');
  // The line moved: the one behind is told before anything else happens.
  await until(third, 'queued 0 of 1, ETA');
  await side.release();
  await until(second, 'done ["B"]');
  await until(third, 'running');
  await side.release();
  await until(third, 'done ["C"]');
  return { first: steps(first), second: steps(second), third: steps(third) };
}

/** Room for one waiting job: a third is refused, retries, and gets in once the line moves. */
async function queueFull(side: Side) {
  const first = submit(side, 'a');
  await until(first, 'running');
  const second = submit(side, 'b');
  await until(second, 'queued 0 of 1, ETA');
  const third = submit(side, 'c', { retry: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 100 } });
  await until(third, 'retrying (queue_full)');
  await side.release();
  await until(second, 'running');
  await until(third, 'queued 0 of 1, ETA');
  await side.release();
  await until(third, 'running');
  await side.release();
  await until(third, 'done ["C"]');
  return { first: steps(first), second: steps(second), third: steps(third) };
}

/** A waiting job and then the running one are cancelled: the one behind moves up, then runs. */
async function cancels(side: Side) {
  const first = submit(side, 'a');
  await until(first, 'running');
  const second = submit(side, 'b');
  await until(second, 'queued 0 of 1, ETA');
  const third = submit(side, 'c');
  await until(third, 'queued 1 of 2, ETA');
  second.job.cancel();
  await until(second, 'failed CANCELLED');
  await until(third, 'queued 0 of 1, ETA');
  first.job.cancel();
  await until(first, 'failed CANCELLED');
  await until(third, 'running');
  await side.release();
  await until(third, 'done ["C"]');
  await expect(first.job.result).rejects.toMatchObject({ code: 'CANCELLED' });
  return { first: steps(first), second: steps(second), third: steps(third) };
}

describe('connect(local) gives the statuses of a remote server', () => {
  it('three jobs on one slot: positions, ETAs, running, done', async () => {
    const remote = await play(await remoteSide('line'), threeJobs);
    const local = await play(await localSide('line'), threeJobs);
    expect(local).toEqual(remote);
    expect(remote).toEqual({
      first: ['queued 0 of 1, ETA', 'running', 'done ["A"]'],
      second: ['queued 0 of 1, ETA', 'running', 'done ["B"]'],
      third: ['queued 1 of 2, ETA', 'queued 0 of 1, ETA', 'running', 'done ["C"]'],
    });
  });

  it('a full queue: the job turned away retries and gets in', async () => {
    const remote = await play(await remoteSide('full'), queueFull);
    const local = await play(await localSide('full'), queueFull);
    expect(local).toEqual(remote);
    expect(remote).toEqual({
      first: ['queued 0 of 1, ETA', 'running', 'done ["A"]'],
      second: ['queued 0 of 1, ETA', 'running', 'done ["B"]'],
      third: ['retrying (queue_full)', 'queued 0 of 1, ETA', 'running', 'done ["C"]'],
    });
  });

  it('cancel, waiting and running', async () => {
    const remote = await play(await remoteSide('line'), cancels);
    const local = await play(await localSide('line'), cancels);
    expect(local).toEqual(remote);
    expect(remote).toEqual({
      first: ['queued 0 of 1, ETA', 'running', 'failed CANCELLED'],
      second: ['queued 0 of 1, ETA', 'failed CANCELLED'],
      third: ['queued 1 of 2, ETA', 'queued 0 of 1, ETA', 'running', 'done ["C"]'],
    });
  });
});
