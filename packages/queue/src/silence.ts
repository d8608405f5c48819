import type { Job } from './batch.js';
import type { StateView } from './decision.js';
import type { JobId } from './types.js';
import type { WaitingEntry } from './waiting-line.js';

/*
 * Silent jobs (issue 21.4). A job asked for its data (`requestData`) that has not answered within
 * `prefetchGraceMs` is silent: it loses its turn, not its place. It keeps its rank and ticket, but the
 * prefetch walk asks past it, picks pass it, and a slot it holds before its batch starts goes to a
 * waiting job whose data is in hand (it returns to its place in line). Without this a few sockets that
 * join and never answer fill the prefetch bound and the slots, and nothing behind them is asked or
 * picked. Only with prefetch on: off, no job is asked while it waits, nor ready, so no job is passed
 * and the order is Gradio's FIFO.
 */

/** An asked job that has not answered within the grace. */
export function isSilent(state: StateView, job: Job | undefined): boolean {
  if (job === undefined || (job.state !== 'prefetching' && job.state !== 'loading')) return false;
  return state.options.prefetchData && state.now >= job.askedAt + state.options.prefetchGraceMs;
}

/** How many waiting jobs are silent; `fnIndex`: of that endpoint only. O(prefetched). */
export function silentWaiting(state: StateView, fnIndex?: number): number {
  let n = 0;
  for (const jobId of state.prefetched) {
    const job = state.jobs.get(jobId);
    if (isSilent(state, job) && (fnIndex === undefined || job?.fnIndex === fnIndex)) n++;
  }
  return n;
}

/**
 * When the next asked job turns silent (clock ms), or Infinity: a waiting one (the prefetch walk may
 * then ask past it, a free slot pass it), or one in a slot while a job whose data is in hand waits (it
 * may then give the slot back). O(prefetched + slots × batch size).
 */
export function nextSilenceAt(state: StateView): number {
  if (!state.options.prefetchData) return Infinity;
  const grace = state.options.prefetchGraceMs;
  let next = Infinity;
  let ready = false;
  for (const jobId of state.prefetched) {
    const job = state.jobs.get(jobId);
    if (job?.state === 'prefetched') ready = true;
    else if (job?.state === 'prefetching' && !isSilent(state, job)) next = Math.min(next, job.askedAt + grace);
  }
  if (!ready) return next;
  for (const batch of state.batches.values()) {
    if (batch.state !== 'loading' && batch.state !== 'gathering') continue;
    for (const jobId of batch.members) {
      const job = state.jobs.get(jobId);
      if (job?.state === 'loading' && !isSilent(state, job)) next = Math.min(next, job.askedAt + grace);
    }
  }
  return next;
}

/**
 * The endpoint's oldest waiting jobs that are not silent, up to `max`, left in place; null when none of
 * its jobs is silent (then the line's own `take` is the answer, and cheaper). O(rank of the last).
 */
export function answering(state: StateView, fnIndex: number, max: number): WaitingEntry[] | null {
  if (silentWaiting(state, fnIndex) === 0) return null;
  const taken: WaitingEntry[] = [];
  for (const entry of state.line) {
    if (taken.length >= max) break;
    if (entry.fnIndex === fnIndex && !isSilent(state, state.jobs.get(entry.jobId))) taken.push(entry);
  }
  return taken;
}

/** The first waiting job younger than `ticket`: where a job that gives its slot back returns. O(rank). */
export function firstYounger(state: StateView, ticket: number): JobId | undefined {
  for (const { jobId } of state.line) if ((state.jobs.get(jobId)?.ticket ?? -Infinity) > ticket) return jobId;
  return undefined;
}
