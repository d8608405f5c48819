import type { Job } from './batch.js';
import type { ResolvedQueueOptions } from './options.js';
import type { Effect, JobId, JobOutcome } from './types.js';
import type { WaitingEntry, WaitingLine } from './waiting-line.js';

/** What the prefetcher needs from the engine around it. */
export interface PrefetchContext {
  /** Clock ms of the event being handled. */
  now(): number;
  emit(effect: Effect): void;
  /** The job is over: forget it and emit its `end`. It has already left the line. */
  end(job: Job, outcome: JobOutcome): void;
  /**
   * Whether the waiting job at `rank` has heard its current place (`heard`), is told it in this event
   * (`telling`) or not yet. A client may stop showing its place once asked (`send_data` meant "picked"
   * in Gradio 3), so a job is asked only once the last estimate it heard is current.
   */
  place(jobId: JobId, rank: number): 'heard' | 'telling' | 'untold';
}

/**
 * Most waiting jobs that may hold asked-for data at once: one full batch of the largest endpoint per
 * slot, i.e. the most the next batches of every slot can take. 0 when prefetch is off.
 */
export function prefetchBound(
  options: Pick<ResolvedQueueOptions, 'concurrencyCount' | 'endpoints' | 'prefetchData'>,
): number {
  if (!options.prefetchData) return 0;
  return options.concurrencyCount * Math.max(1, ...options.endpoints.map((e) => e.maxBatchSize));
}

/**
 * Data prefetch. In Gradio 3's dialect a job's data is asked for (`send_data`) only when it is picked,
 * so without prefetch every batch waits a whole data round trip (out, every member's answer back,
 * parsed) while its slot idles. Here the jobs that would make up the next batches if every slot freed
 * now are asked while they still wait: when a slot frees, its next batch starts with its data in hand.
 *
 * A prefetched job still waits: it keeps its rank and hears estimates, is picked in its turn (it never
 * overtakes, and nobody overtakes it), may be cancelled (its data is dropped with it), and ends with a
 * data timeout if it does not answer within `dataTimeoutMs` of being asked — waiting or picked. It holds
 * no slot while it waits; once picked, a silent one holds its slot for what is left of that time, never
 * longer than without prefetch. At most `prefetchBound` jobs wait with data asked for.
 */
export class Prefetch {
  /** Waiting jobs asked for their data (it may have arrived). */
  private readonly asked = new Set<JobId>();
  readonly bound: number;
  /** The last `fill` stopped at a job told its place in that event: ask it in the next one. */
  private stalled = false;

  constructor(
    private readonly options: ResolvedQueueOptions,
    private readonly line: WaitingLine,
    private readonly jobs: ReadonlyMap<JobId, Job>,
    private readonly context: PrefetchContext,
  ) {
    this.bound = prefetchBound(options);
  }

  /** Waiting jobs asked for their data. */
  get size(): number {
    return this.asked.size;
  }

  /** Asks the waiting jobs that would form the next batches for their data, up to the bound. */
  fill(): void {
    this.stalled = false;
    if (this.asked.size >= this.bound || this.line.size === 0) return;
    for (const { entry, rank } of this.nextBatches()) {
      const { jobId } = entry;
      const job = this.jobs.get(jobId) as Job;
      if (job.data !== 'unasked') continue;
      // Asked in line order: the rest wait until this one has heard its place.
      const place = this.context.place(jobId, rank);
      if (place !== 'heard') {
        this.stalled = place === 'telling';
        return;
      }
      job.data = 'asked';
      job.dataDeadline = this.context.now() + this.options.dataTimeoutMs;
      this.asked.add(jobId);
      this.context.emit({ type: 'requestData', jobId });
      if (this.asked.size >= this.bound) return;
    }
  }

  /** A waiting job's asked-for data arrived; it is held until the job is picked. */
  received(job: Job): void {
    job.data = 'received';
    job.dataDeadline = null;
  }

  /** The job left the line (picked, cancelled, ended). */
  forget(jobId: JobId): void {
    this.asked.delete(jobId);
  }

  /** Ends every waiting job whose asked-for data did not come in time; they leave the line. */
  expire(): void {
    const now = this.context.now();
    for (const jobId of [...this.asked]) {
      const job = this.jobs.get(jobId) as Job;
      if (job.dataDeadline === null || job.dataDeadline > now) continue;
      this.line.remove(jobId);
      this.asked.delete(jobId);
      this.context.end(job, { status: 'timeout', phase: 'data' });
    }
  }

  /**
   * When to look again (clock ms): at once when a job waits to be asked until the estimate it is told
   * in this event is out; else the earliest data deadline of a waiting job, or Infinity. O(bound).
   */
  nextDeadline(): number {
    if (this.stalled) return this.context.now();
    let next = Infinity;
    for (const jobId of this.asked) next = Math.min(next, this.jobs.get(jobId)?.dataDeadline ?? Infinity);
    return next;
  }

  /**
   * The waiting jobs that would make up the next batches if every slot freed now, oldest first: the
   * dispatcher's rule replayed over the line (the oldest job picks its endpoint, which takes its oldest
   * jobs up to maxBatchSize; one batch per slot; concurrencyLimit per endpoint). The walk stops when
   * those batches are full, or after passing `bound` jobs that are not in them, so it is O(bound).
   */
  private nextBatches(): { entry: WaitingEntry; rank: number }[] {
    const wave: { entry: WaitingEntry; rank: number }[] = [];
    /** Per endpoint: places left in its last batch of the wave, and how many batches it has there. */
    const room = new Map<number, number>();
    const batches = new Map<number, number>();
    let roomLeft = 0;
    let formed = 0;
    let passed = 0;
    let rank = -1;
    const slots = this.options.concurrencyCount;
    for (const entry of this.line) {
      rank++;
      const left = room.get(entry.fnIndex) ?? 0;
      const endpoint = this.options.endpoints[entry.fnIndex];
      const held = batches.get(entry.fnIndex) ?? 0;
      if (left > 0) {
        room.set(entry.fnIndex, left - 1);
        roomLeft--;
        wave.push({ entry, rank });
      } else if (endpoint !== undefined && formed < slots && held < endpoint.concurrencyLimit) {
        formed++;
        batches.set(entry.fnIndex, held + 1);
        room.set(entry.fnIndex, endpoint.maxBatchSize - 1);
        roomLeft += endpoint.maxBatchSize - 1;
        wave.push({ entry, rank });
      } else if (++passed > this.bound) break;
      if (formed >= slots && roomLeft === 0) break;
    }
    return wave;
  }
}
