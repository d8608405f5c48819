import type { EstimatePublisher } from './estimates.js';
import type { ResolvedQueueOptions } from './options.js';
import { nextPrefetchDeadline } from './prefetch.js';
import type { QueueState } from './queue-state.js';
import { nextSilenceAt } from './silence.js';
import { nextSlotDeadline, overrun } from './slots.js';
import type { Timings } from './timings.js';

/** While a batch runs past its expected time, the ETAs behind it are looked at again this often (ms). */
export const OVERRUN_LOOK_MS = 1_000;

/**
 * When the engine must next be ticked (clock ms), or Infinity: the earliest deadline of any batch or
 * member (data, batch delay, run), prefetched job, silence (silence.ts), estimate push or overrun look. `prefetchStalled`:
 * the last prefetch walk stopped at a job told its place in this event, so it goes on at once.
 */
export function nextTickAt(
  state: QueueState,
  options: ResolvedQueueOptions,
  timings: Timings,
  publisher: EstimatePublisher,
  prefetchStalled: boolean,
): number {
  const { now, line } = state;
  const prefetchAt = prefetchStalled ? now : Math.min(nextPrefetchDeadline(state), nextSilenceAt(state));
  const next = Math.min(publisher.nextDue() ?? Infinity, nextSlotDeadline(state), prefetchAt);
  if (options.statusUpdateRate !== 'auto' || line.size === 0) return next;
  return Math.min(next, overrun(state, timings, OVERRUN_LOOK_MS).lookAt);
}
