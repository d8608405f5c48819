import { ArrivalRate } from './arrivals.js';
import type { ResolvedEndpoint } from './options.js';
import { ServiceTimeModel } from './service-time.js';

/**
 * What the queue has learned about time: per endpoint S(b), mean batch time and arrival rate, and
 * Gradio's global mean.
 */
export class Timings {
  private readonly models: ServiceTimeModel[];
  private readonly arrivals: ArrivalRate[];
  /**
   * Per endpoint, the data round trip as a function of batch size: how long a picked (or closed) batch
   * waits for its members' data (`send_data` out, each data frame back) before its handler starts.
   * It grows with the batch (one round trip per member through a busy event loop) and holds the slot,
   * so an ETA that ignores it runs early for everyone behind.
   */
  private readonly gathers: ServiceTimeModel[];
  /** Per endpoint: seconds and count of batches that ran to the end. */
  private readonly totals: { seconds: number; count: number }[];
  private jobSeconds = 0;
  private jobCount = 0;

  constructor(
    endpoints: readonly ResolvedEndpoint[],
    /** Every slot that serves the line: this engine's and, when it shares the line, its peers'. */
    private concurrencyCount: number,
  ) {
    this.models = endpoints.map((e) => new ServiceTimeModel(e.expectedDurationMs));
    this.totals = endpoints.map(() => ({ seconds: 0, count: 0 }));
    this.arrivals = endpoints.map(() => new ArrivalRate());
    this.gathers = endpoints.map(() => new ServiceTimeModel(0));
  }

  /** A batch of `size` of endpoint `fnIndex` waited `ms` for its members' data. */
  recordGather(fnIndex: number, size: number, ms: number): void {
    this.gathers[fnIndex]?.record(size, ms);
  }

  /** Expected ms a picked batch of `size` of endpoint `fnIndex` waits for its members' data; 0 before any sample. */
  gatherMs(fnIndex: number, size: number): number {
    return this.gathers[fnIndex]?.predict(size) ?? 0;
  }

  /** A job of endpoint `fnIndex` joined at clock ms `at`. */
  recordArrival(fnIndex: number, at: number): void {
    this.arrivals[fnIndex]?.record(at);
  }

  /** Expected joins per ms of endpoint `fnIndex` at clock ms `now`. */
  arrivalsPerMs(fnIndex: number, now: number): number {
    return this.arrivals[fnIndex]?.perMs(now) ?? 0;
  }

  /** Expected run time (ms) of a batch of `size` on endpoint `fnIndex`, or null when unknown. */
  serviceTime(fnIndex: number, size: number): number | null {
    return this.models[fnIndex]?.predict(size) ?? null;
  }

  /** A batch of `size` ran to the end in `ms`. */
  recordBatch(fnIndex: number, size: number, ms: number): void {
    this.models[fnIndex]?.record(size, ms);
    const totals = this.totals[fnIndex];
    if (!totals) return;
    totals.seconds += ms / 1000;
    totals.count++;
  }

  /** A job completed after `seconds` of running. */
  recordJob(seconds: number): void {
    this.jobSeconds += seconds;
    this.jobCount++;
  }

  /** The endpoint's mean batch run time (seconds), or null before any. */
  averageDuration(fnIndex: number): number | null {
    const totals = this.totals[fnIndex];
    return totals && totals.count > 0 ? totals.seconds / totals.count : null;
  }

  /** Gradio's `avg_event_process_time`: mean run time (seconds) of a completed job, all endpoints. */
  avgEventProcessTime(): number | null {
    return this.jobCount > 0 ? this.jobSeconds / this.jobCount : null;
  }

  /** The line is now served by `slots` slots in all (this engine's and its peers'). */
  setSlots(slots: number): void {
    this.concurrencyCount = slots;
  }

  /** Gradio's `avg_event_concurrent_process_time`: that mean divided by every slot that serves the line. */
  avgEventConcurrentProcessTime(): number | null {
    const avg = this.avgEventProcessTime();
    return avg === null ? null : avg / this.concurrencyCount;
  }
}
