import type { Decision, StateView } from './decision.js';
import type { ResolvedQueueOptions } from './options.js';
import { isSilent, silentWaiting } from './silence.js';
import type { JobId } from './types.js';
import type { WaitingEntry } from './waiting-line.js';

/*
 * Data prefetch. In Gradio 3's dialect a job's data is asked for (`send_data`) only when it is picked,
 * so without prefetch every batch waits a whole data round trip (out, every member's answer back,
 * parsed) while its slot idles. Here the jobs that would make up the next batches if every slot freed
 * now are asked while they still wait: when a slot frees, its next batch starts with its data in hand.
 *
 * A prefetched job still waits: it keeps its rank and hears estimates, may be cancelled (its data is
 * dropped with it), and ends with a data timeout if it does not answer within `dataTimeoutMs` of being
 * asked — waiting or picked. Once it has answered it is picked before the jobs that have not
 * (pick-order.ts). One silent past `prefetchGraceMs` loses its turn, not its place (silence.ts): it is
 * not picked and does not count against the bound, so the jobs behind it are asked. It holds no slot
 * while it waits. At most `prefetchBound` jobs that are not silent wait with data asked for.
 */

/**
 * Whether the waiting job at `rank` has heard its current place (`heard`), is told it in this event
 * (`telling`) or not yet. A client may stop showing its place once asked (`send_data` meant "picked"
 * in Gradio 3), so a job is asked only once the last estimate it heard is current.
 */
export type PlaceHeard = (jobId: JobId, rank: number) => 'heard' | 'telling' | 'untold';

/** Which waiting jobs to ask now; `stalled`: the walk stopped at a job told its place in this event, ask it in the next. */
export interface PrefetchPlan {
  asks: Decision[];
  stalled: boolean;
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

/** The waiting jobs that would form the next batches and are not asked yet, in line order, up to the bound. */
export function planPrefetch(state: StateView, bound: number, place: PlaceHeard): PrefetchPlan {
  const asks: Decision[] = [];
  if (bound === 0 || state.line.size === 0) return { asks, stalled: false };
  // A silent job (silence.ts) no longer counts: the jobs behind it are asked too.
  const asked = state.prefetched.size - silentWaiting(state);
  if (asked >= bound) return { asks, stalled: false };
  for (const { entry, rank } of nextBatches(state, bound)) {
    const { jobId } = entry;
    if (state.jobs.get(jobId)?.state !== 'waiting') continue;
    // Asked in line order: the rest wait until this one has heard its place.
    const heard = place(jobId, rank);
    if (heard !== 'heard') return { asks, stalled: heard === 'telling' };
    asks.push({ type: 'ask', jobId });
    if (asked + asks.length >= bound) break;
  }
  return { asks, stalled: false };
}

/** The first waiting job whose asked-for data did not come in time. */
export function nextPrefetchDue(state: StateView): Decision | null {
  for (const jobId of state.prefetched) {
    const job = state.jobs.get(jobId);
    if (job?.state === 'prefetching' && job.dataDeadline <= state.now) return { type: 'expire', jobId };
  }
  return null;
}

/** The earliest data deadline of a waiting job (clock ms), or Infinity. O(bound). */
export function nextPrefetchDeadline(state: StateView): number {
  let next = Infinity;
  for (const jobId of state.prefetched) {
    const job = state.jobs.get(jobId);
    if (job?.state === 'prefetching') next = Math.min(next, job.dataDeadline);
  }
  return next;
}

/**
 * The waiting jobs that would make up the next batches if every slot freed now, oldest first: the
 * dispatcher's rule replayed over the line (the oldest job picks its endpoint, which takes its oldest
 * jobs up to maxBatchSize; one batch per slot; concurrencyLimit per endpoint). The walk stops when
 * those batches are full, or after passing `bound` jobs that are not in them, so it is O(bound).
 */
function nextBatches(state: StateView, bound: number): { entry: WaitingEntry; rank: number }[] {
  const wave: { entry: WaitingEntry; rank: number }[] = [];
  /** Per endpoint: places left in its last batch of the wave, and how many batches it has there. */
  const room = new Map<number, number>();
  const batches = new Map<number, number>();
  let roomLeft = 0;
  let formed = 0;
  let passed = 0;
  let rank = -1;
  const slots = state.options.concurrencyCount;
  for (const entry of state.line) {
    rank++;
    // A silent job takes no place in the next batches: picks pass it (pick-order.ts).
    if (isSilent(state, state.jobs.get(entry.jobId))) continue;
    const left = room.get(entry.fnIndex) ?? 0;
    const endpoint = state.options.endpoints[entry.fnIndex];
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
    } else if (++passed > bound) break;
    if (formed >= slots && roomLeft === 0) break;
  }
  return wave;
}
