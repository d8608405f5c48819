import type { PrefetchedJob } from './batch.js';
import type { StateView } from './decision.js';

/*
 * Who goes first when a slot frees (issue 21.4). Jobs whose data is in hand (asked while waiting, and
 * answered) go before the rest, oldest first; then the line in order, as in Gradio. So a prefetched job
 * that has not answered keeps its place (rank, estimates) but cannot hold a slot ahead of a job that is
 * ready. With prefetch off no job is ready while it waits, and the order is Gradio's FIFO.
 * Only prefetched jobs can be ready: at most the prefetch bound, so both walks are short.
 */

/** The oldest waiting job with its data in hand whose endpoint passes `eligible`. */
export function oldestReady(state: StateView, eligible: (fnIndex: number) => boolean): PrefetchedJob | undefined {
  let best: PrefetchedJob | undefined;
  for (const jobId of state.prefetched) {
    const job = state.jobs.get(jobId);
    if (job?.state !== 'prefetched' || (best !== undefined && job.ticket > best.ticket)) continue;
    if (eligible(job.fnIndex)) best = job;
  }
  return best;
}

/** Up to `max` of the endpoint's waiting jobs with their data in hand, oldest first. */
export function readyJobs(state: StateView, fnIndex: number, max: number): PrefetchedJob[] {
  if (max <= 0) return [];
  const ready: PrefetchedJob[] = [];
  for (const jobId of state.prefetched) {
    const job = state.jobs.get(jobId);
    if (job?.state === 'prefetched' && job.fnIndex === fnIndex) ready.push(job);
  }
  return ready.sort((a, b) => a.ticket - b.ticket).slice(0, max);
}
