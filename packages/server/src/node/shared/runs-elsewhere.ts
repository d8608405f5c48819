import type { JobId } from '@crowdserve/queue';
import { failedMessage } from '../../core/gradio3.js';
import type { JobSink } from '../../core/host-job.js';
import type { RelayBody } from './relay.js';

/** An own job that another process runs: its client is here, its messages come from `runner`. */
export interface RunElsewhere {
  runner: string;
  sink: JobSink;
  /** What came with the join (`sse_v3`, HTTP predict): handed over when asked, without the client. */
  preset: unknown[] | undefined;
  /** `send_data` was passed on to the client, whose answer goes to the runner. */
  awaiting: boolean;
}

/** This process's jobs that other processes run, by id; `ended()` waits for them to end. */
export class RunsElsewhere {
  private readonly runs = new Map<JobId, RunElsewhere>();
  private drained: (() => void) | undefined;

  /** `relay` tells a runner (the client's data, its leaving). */
  constructor(private readonly relay: (to: string, body: RelayBody) => void) {}

  get size(): number {
    return this.runs.size;
  }

  get(id: JobId): RunElsewhere | undefined {
    return this.runs.get(id);
  }

  has(id: JobId): boolean {
    return this.runs.has(id);
  }

  add(id: JobId, run: RunElsewhere): void {
    this.runs.set(id, run);
  }

  delete(id: JobId): void {
    this.runs.delete(id);
    if (this.runs.size === 0) this.drained?.();
  }

  /** Whether the run's client was asked for its data and has not answered; `undefined`: no such run. */
  awaiting(id: JobId): boolean | undefined {
    return this.runs.get(id)?.awaiting;
  }

  /** The client's data goes to the runner, if it asked. Returns whether the job runs elsewhere. */
  receiveData(id: JobId, data: unknown[]): boolean {
    const run = this.runs.get(id);
    if (run === undefined) return false;
    if (!run.awaiting) return true;
    run.awaiting = false;
    this.relay(run.runner, { t: 'data', id, data });
    return true;
  }

  /** The client left: the runner aborts the job. Returns whether the job ran elsewhere. */
  cancel(id: JobId): boolean {
    const run = this.runs.get(id);
    if (run === undefined) return false;
    this.delete(id);
    this.relay(run.runner, { t: 'cancel', id });
    return true;
  }

  /** Ends the run with this process's own error (the runner aborts); `refused`: its data is bad. */
  failOne(id: JobId, message: string, refused: boolean): boolean {
    const run = this.runs.get(id);
    if (!this.cancel(id) || run === undefined) return false;
    if (refused && run.sink.refused !== undefined) run.sink.refused(message);
    else run.sink.send(failedMessage(message));
    run.sink.close(1000, 'error');
    return true;
  }

  /**
   * A runner's message for the client of job `body.id`; `reply` answers the runner. When no such run of
   * `from` is here (its client left), a runner that asks for data is told `cancel`.
   */
  deliver(
    from: string,
    body: Extract<RelayBody, { t: 'send' | 'refused' | 'close' }>,
    reply: (body: RelayBody) => void,
  ): void {
    const { id } = body;
    const run = this.runs.get(id);
    if (run === undefined || run.runner !== from) {
      if (body.t === 'send' && body.message.msg === 'send_data') reply({ t: 'cancel', id });
      return;
    }
    if (body.t === 'close') {
      this.delete(id);
      run.sink.close(body.code, body.reason);
    } else if (body.t === 'refused') {
      if (run.sink.refused !== undefined) run.sink.refused(body.error);
      else run.sink.send(failedMessage(body.error));
    } else if (body.message.msg === 'send_data' && run.preset !== undefined) {
      // The data came with the join: the runner gets it without a round trip to the client.
      reply({ t: 'data', id, data: run.preset });
    } else {
      if (body.message.msg === 'send_data') run.awaiting = true;
      run.sink.send(body.message);
    }
  }

  /** Ends the runs `which` picks, telling each client `error`; `tellRunner`: and each runner (`cancel`). */
  fail(which: (run: RunElsewhere) => boolean, error: string, code: number, tellRunner = false): void {
    for (const [id, run] of [...this.runs]) {
      if (!which(run)) continue;
      this.delete(id);
      if (tellRunner) this.relay(run.runner, { t: 'cancel', id });
      run.sink.send(failedMessage(error));
      run.sink.close(code, code === 1001 ? 'shutdown' : 'error');
    }
  }

  /** Resolves when none is left, or after `withinMs`. */
  async ended(withinMs: number): Promise<void> {
    if (this.runs.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      timer = setTimeout(resolve, withinMs);
    });
    clearTimeout(timer);
    this.drained = undefined;
  }
}
