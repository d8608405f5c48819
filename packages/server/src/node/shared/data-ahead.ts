import type { ServerMessage } from '@crowdserve/protocol';
import type { Estimation, JobId } from '@crowdserve/queue';
import type { JobSink } from '../../core/host-job.js';

/**
 * How far ahead an own job's data is made ready in the line: while the job is among the first
 * `DATA_AHEAD_WAVES` × (the live processes' slots) × (the largest batch) waiting jobs.
 * @default 2
 */
export const DATA_AHEAD_WAVES = 2;

/** The data an own job's claimer needs, made ready while the job waits near the front (issue 23). */
interface Ahead {
  /** The transport's sink. */
  sink: JobSink;
  /** In hand: it came with the join (`sse_v3`, HTTP predict), or the client answered an early `send_data`. */
  data: unknown[] | undefined;
  /** Its client has heard a place (an asked client may stop showing it, as Gradio 3 did at `send_data`). */
  heard: boolean;
  /** Near the front: make its data ready (ask its client once it has heard a place; stash what is in hand). */
  due: boolean;
  /** `send_data` went to the client early. */
  asked: boolean;
  stashed: boolean;
}

/**
 * Own jobs' data, made ready ahead of their claim so that a slot that frees anywhere starts at once:
 * a job near the front of the line has its data stashed in the line, and the claim brings it to the
 * runner; a 3.x client is asked for it (`send_data`) early. The sink of every own job is wrapped: a
 * `send_data` of the runner's (or of this process's host) is answered with the data in hand, or
 * waits for the early answer, so a client is asked once.
 */
export class DataAhead {
  private readonly jobs = new Map<JobId, Ahead>();

  constructor(
    /** Keep the data in the line for the job's claimer (only while it waits). */
    private readonly stash: (id: JobId, data: unknown[]) => void,
    /** The job's data, as if its client had just sent it. */
    private readonly answer: (id: JobId, data: unknown[]) => void,
  ) {}

  get size(): number {
    return this.jobs.size;
  }

  /** The sink an own job is held with: `bind` gives it its id once the host has made one. */
  wrap(sink: JobSink, data: unknown[] | undefined): JobSink & { bind(id: JobId): void } {
    const ahead: Ahead = { sink, data, heard: false, due: false, asked: false, stashed: false };
    let id: JobId | undefined;
    const heard = (): void => {
      ahead.heard = true;
      if (id !== undefined) this.ready(id, ahead);
    };
    const wrapped: JobSink & { bind(id: JobId): void } = {
      bind: (jobId) => {
        id = jobId;
        this.jobs.set(jobId, ahead);
      },
      send: (message: ServerMessage) => {
        if (message.msg === 'estimation') heard();
        if (message.msg !== 'send_data' || id === undefined) return sink.send(message);
        if (!ahead.asked && ahead.data === undefined) {
          ahead.asked = true; // asked when picked: not again ahead
          return sink.send(message);
        }
        // Asked already: its answer goes where it is wanted now; in hand: answered here, a moment later.
        const { data } = ahead;
        const jobId = id;
        if (data !== undefined) queueMicrotask(() => this.answer(jobId, data));
      },
      close: (code, reason) => {
        if (id !== undefined) this.jobs.delete(id);
        sink.close(code, reason);
      },
    };
    if (sink.estimate !== undefined) {
      const estimate = sink.estimate.bind(sink);
      wrapped.estimate = (estimation: Estimation) => {
        estimate(estimation);
        heard();
      };
    }
    if (sink.refused !== undefined) wrapped.refused = sink.refused.bind(sink);
    return wrapped;
  }

  /** The job's client is gone; nothing more is done for it. */
  forget(id: JobId): void {
    this.jobs.delete(id);
  }

  /** These own jobs are near the front of the line now. */
  due(ids: Iterable<JobId>): void {
    for (const id of ids) {
      const ahead = this.jobs.get(id);
      if (ahead === undefined || ahead.due) continue;
      ahead.due = true;
      this.ready(id, ahead);
    }
  }

  /** Whether the job's client was asked early and has not answered. */
  expecting(id: JobId): boolean {
    const ahead = this.jobs.get(id);
    return ahead !== undefined && ahead.asked && ahead.data === undefined;
  }

  /** The client's data came: kept when asked early (and stashed, while the job waits). */
  received(id: JobId, data: unknown[]): void {
    const ahead = this.jobs.get(id);
    if (ahead === undefined || !ahead.asked || ahead.data !== undefined) return;
    ahead.data = data;
    this.ready(id, ahead);
  }

  private ready(id: JobId, ahead: Ahead): void {
    if (!ahead.due) return;
    if (ahead.data !== undefined) {
      if (ahead.stashed) return;
      ahead.stashed = true;
      this.stash(id, ahead.data);
    } else if (!ahead.asked && ahead.heard) {
      ahead.asked = true;
      ahead.sink.send({ msg: 'send_data' });
    }
  }
}
