import type { EstimatePublisher, EstimateSource } from './estimates.js';
import type { Forecast, QueueView } from './forecast.js';
import type { QueueState } from './queue-state.js';
import type { Timings } from './timings.js';
import type { JobId } from './types.js';
import type { WaitingEntry } from './waiting-line.js';

/** The least `retryAfter` (seconds) a `queue_full` carries, so clients never retry in a hot loop. */
export const MIN_RETRY_AFTER_SECONDS = 0.1;
/** `retryAfter` (seconds) when nothing is known about run times yet. */
export const FALLBACK_RETRY_AFTER_SECONDS = 1;

/** What one event's estimates are made from. */
export interface EstimateRound {
  readonly state: QueueState;
  readonly forecast: Forecast;
  readonly publisher: EstimatePublisher;
  readonly view: QueueView;
  /** Jobs that joined during this event and are owed their first estimate. */
  readonly fresh: ReadonlyMap<JobId, { entry: WaitingEntry; rank: number }>;
}

/**
 * Pushes the estimates this event owes: the whole line when a look is due (one pass), else only the
 * newcomers', each from a pass extended for it.
 */
export function publishEstimates({ state, forecast, publisher, view, fresh }: EstimateRound): void {
  const { line, now, out } = state;
  if (line.size === 0) {
    publisher.idle();
  } else if (publisher.due(now)) {
    const pass = forecast.pass(view, true);
    const source: EstimateSource = {
      completion: (rank) => pass.completions[rank] ?? Infinity,
      estimation: (rank) => forecast.estimation(view, rank, pass.completions[rank] ?? Infinity, pass),
    };
    publisher.publish(now, line, source, new Set(fresh.keys()), out);
  } else {
    for (const [jobId, { entry, rank }] of fresh) {
      const { completion, pass } = forecast.newcomer(view, entry, rank);
      const estimation = forecast.estimation(view, rank, completion, pass);
      out.push(publisher.tell(now, jobId, estimation, completion));
    }
  }
}

/** A `queue_full`'s `retryAfter` (seconds): when the first waiting job is expected to leave the line, i.e. when a place frees. */
export function queueFullRetryAfter(forecast: Forecast, view: QueueView, timings: Timings): number {
  const firstStart = forecast.pass(view, true).firstStart;
  const seconds =
    firstStart === Infinity
      ? (timings.avgEventConcurrentProcessTime() ?? FALLBACK_RETRY_AFTER_SECONDS)
      : (firstStart - view.now) / 1000;
  return Math.max(MIN_RETRY_AFTER_SECONDS, seconds);
}
