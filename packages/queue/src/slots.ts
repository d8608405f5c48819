import { assertNever } from './assert-never.js';
import { isStarted } from './batch.js';
import type { Batch } from './batch.js';
import type { Decision, StateView } from './decision.js';
import type { ResolvedEndpoint } from './options.js';
import { oldestAnswering, oldestReady } from './pick-order.js';
import { isSilent, silentWaiting } from './silence.js';
import type { Timings } from './timings.js';

/*
 * The slots' rules: who gets the `concurrencyCount` slots, when a batch closes, starts, frees or
 * times out. Each function reads the state and returns what should happen next (or null); the engine
 * applies it and asks again, so the rules never touch the state themselves.
 */

function endpoint(state: StateView, fnIndex: number): ResolvedEndpoint {
  return state.options.endpoints[fnIndex] as ResolvedEndpoint;
}

function underLimit(state: StateView, fnIndex: number): boolean {
  return (state.held[fnIndex] as number) < endpoint(state, fnIndex).concurrencyLimit;
}

/** Whether a job of this endpoint joining now would go straight into a slot. */
export function canTakeSlot(state: StateView, fnIndex: number): boolean {
  if (state.gathering.has(fnIndex)) return true;
  return state.batches.size < state.options.concurrencyCount && underLimit(state, fnIndex);
}

/** What a batch that just changed needs: to close when full, start when its data is in, free or abort when empty. */
export function settle(state: StateView, batch: Batch): Decision | null {
  const { id: batchId, members } = batch;
  switch (batch.state) {
    case 'gathering':
      if (members.size === 0) return { type: 'free', batchId };
      return members.size >= endpoint(state, batch.fnIndex).maxBatchSize ? { type: 'close', batchId } : null;
    case 'loading':
      if (members.size === 0) return { type: 'free', batchId };
      for (const id of members) if (state.jobs.get(id)?.state !== 'ready') return null;
      return { type: 'start', batchId };
    case 'running':
      return members.size === 0 ? { type: 'abort', batchId } : null;
    case 'aborted':
      return null;
    default:
      return assertNever(batch);
  }
}

/**
 * The next move of waiting jobs into slots: gathering batches take their endpoint's jobs, then a free
 * slot goes to the oldest eligible job with its data in hand, else to the oldest eligible that is not
 * silent (pick-order.ts); with no free slot for a job whose data is in hand, a silent batch steps back.
 */
export function nextFill(state: StateView): Decision | null {
  const { line, options, now } = state;
  if (line.size === 0) return null;
  for (const [fnIndex, batchId] of state.gathering) {
    // Silent jobs are not taken (silence.ts): admitting only them would take none, again and again.
    if (line.sizeOf(fnIndex) > silentWaiting(state, fnIndex)) return { type: 'admit', batchId };
  }
  if (state.batches.size >= options.concurrencyCount) return nextStepBack(state);
  const eligible = (fn: number): boolean => underLimit(state, fn) && !state.gathering.has(fn);
  const head = oldestReady(state, eligible) ?? oldestAnswering(state, eligible);
  if (!head) return nextStepBack(state);
  const { maxBatchDelayMs, maxBatchSize } = endpoint(state, head.fnIndex);
  const closeAt = head.joinedAt + maxBatchDelayMs;
  // A short batch holds its slot open until its oldest member has waited maxBatchDelayMs.
  const gathers = closeAt > now && line.sizeOf(head.fnIndex) < maxBatchSize;
  return { type: 'pick', fnIndex: head.fnIndex, closeAt: gathers ? closeAt : null };
}

/**
 * A slot held by a batch that has not started and whose members are all silent (silence.ts), wanted by
 * a waiting job whose data is in hand and that could take it: that batch's first member steps back (then
 * the next, until the slot frees). Null when there is none. O(slots × batch size + prefetched).
 */
function nextStepBack(state: StateView): Decision | null {
  const idle: Batch[] = [];
  const { maxSize } = state.options;
  for (const batch of state.batches.values()) {
    if (isStarted(batch) || batch.members.size === 0) continue;
    // Its members wait again while one ready job leaves the line: never past maxSize.
    if (maxSize !== null && state.line.size + batch.members.size - 1 > maxSize) continue;
    let silent = true;
    for (const id of batch.members) silent &&= isSilent(state, state.jobs.get(id));
    if (silent) idle.push(batch);
  }
  if (idle.length === 0) return null;
  // Once the idle batch's slot is free, the ready job's endpoint can take it.
  const fits = (fn: number, batch: Batch): boolean =>
    (!state.gathering.has(fn) || state.gathering.get(fn) === batch.id) &&
    (state.held[fn] as number) - (batch.fnIndex === fn ? 1 : 0) < endpoint(state, fn).concurrencyLimit;
  const ready = oldestReady(state, (fn) => idle.some((batch) => fits(fn, batch)));
  const batch = ready && idle.find((b) => fits(ready.fnIndex, b));
  const [jobId] = batch?.members ?? [];
  return jobId === undefined ? null : { type: 'stepBack', jobId };
}

/** The next deadline that has passed in a slot: a run timeout, a member's data timeout, a batch delay. */
export function nextDue(state: StateView): Decision | null {
  const { now } = state;
  for (const batch of state.batches.values()) {
    if (batch.state === 'running' || batch.state === 'aborted') {
      if (batch.runDeadline !== null && batch.runDeadline <= now) return { type: 'timeOut', batchId: batch.id };
      continue;
    }
    for (const jobId of batch.members) {
      const job = state.jobs.get(jobId);
      if (job?.state === 'loading' && job.dataDeadline <= now) return { type: 'expire', jobId };
    }
    if (batch.state === 'gathering' && batch.closeAt <= now) return { type: 'close', batchId: batch.id };
  }
  return null;
}

/** The earliest deadline of any slot (clock ms), or Infinity. */
export function nextSlotDeadline(state: StateView): number {
  let next = Infinity;
  for (const batch of state.batches.values()) {
    if (batch.state === 'running' || batch.state === 'aborted') {
      next = Math.min(next, batch.runDeadline ?? Infinity);
      continue;
    }
    if (batch.state === 'gathering') next = Math.min(next, batch.closeAt);
    for (const jobId of batch.members) {
      const job = state.jobs.get(jobId);
      if (job?.state === 'loading') next = Math.min(next, job.dataDeadline);
    }
  }
  return next;
}

/**
 * While a running batch (here or on a peer) overruns its expected run time, the ETAs of everyone
 * behind it slip. Returns whether one overruns now, and when to look again: its expected end, then
 * every `periodMs` after.
 */
export function overrun(state: StateView, timings: Timings, periodMs: number): { now: boolean; lookAt: number } {
  const { now } = state;
  let overrunning = false;
  let lookAt = Infinity;
  const look = (fnIndex: number, size: number, startedAt: number): void => {
    const run = timings.serviceTime(fnIndex, size);
    if (run === null) return;
    const end = startedAt + run;
    if (end <= now) overrunning = true;
    lookAt = Math.min(lookAt, end > now ? end : end + (Math.floor((now - end) / periodMs) + 1) * periodMs);
  };
  for (const batch of state.batches.values()) {
    if (batch.state === 'running') look(batch.fnIndex, batch.jobIds.length, batch.startedAt);
  }
  for (const batch of state.peers.values()) look(batch.fnIndex, batch.size, batch.startedAt);
  return { now: overrunning, lookAt };
}
