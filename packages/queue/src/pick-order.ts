import type { PrefetchedJob } from './batch.js';
import type { StateView } from './decision.js';
import { isSilent } from './silence.js';
import type { WaitingEntry } from './waiting-line.js';

/*
 * Who goes first when a slot frees (issue 21.4). Jobs whose data is in hand (asked while waiting, and
 * answered) go before the rest, oldest first; then the line in order, as in Gradio. So a prefetched job
 * that has not answered keeps its place (rank, estimates) but cannot hold a slot ahead of a job that is
 * ready. One asked and silent past `prefetchGraceMs` (silence.ts) is not picked while it stays silent;
 * once its data arrives it is picked in its turn among the ready. With prefetch off no job is ready or
 * silent while it waits, and the order is Gradio's FIFO. Only prefetched jobs can be ready or silent.
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

/**
 * The oldest waiting job whose endpoint passes `eligible` and that is not silent: the line's own
 * `oldest` unless that one is silent, then a walk over the line past the silent ones.
 */
export function oldestAnswering(state: StateView, eligible: (fnIndex: number) => boolean): WaitingEntry | undefined {
  const oldest = state.line.oldest(eligible);
  if (oldest === undefined || !isSilent(state, state.jobs.get(oldest.jobId))) return oldest;
  for (const entry of state.line) {
    if (eligible(entry.fnIndex) && !isSilent(state, state.jobs.get(entry.jobId))) return entry;
  }
  return undefined;
}
