import type { JobId } from '@crowdserve/queue';
import type { JobSink } from '../../core/host-job.js';

/** An own job that another process runs: its client is here, its messages come from `runner`. */
export interface RunElsewhere {
  runner: string;
  sink: JobSink;
  /** What came with the join (`sse_v3`, HTTP predict): handed over when asked, without the client. */
  preset: unknown[] | undefined;
  /** `send_data` was passed on to the client, whose answer goes to the runner. */
  awaiting: boolean;
}

/** This process's jobs that other processes run, by id; `closed()` waits for them to end. */
export class RunsElsewhere {
  private readonly runs = new Map<JobId, RunElsewhere>();
  private drained: (() => void) | undefined;

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

  entries(): [JobId, RunElsewhere][] {
    return [...this.runs];
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
