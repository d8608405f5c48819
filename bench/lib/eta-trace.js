// @ts-check
// Scores the ETAs of one trace: every estimate a job was told vs when that job really completed,
// for crowdserve's `rank_eta` and for Gradio 3's formula computed at the same moments.
import { gradio3RankEta } from './gradio3-eta.js';
import { quantile } from './stats.js';

/**
 * @typedef {{ jobId: string, at: number, rank: number, rankEta: number | null }} EstimateRecord  `at` in ms
 * @typedef {{ start: number, end: number }} BatchRecord  a slot held from `start` to `end` (ms); finished ok
 * @typedef {{
 *   concurrencyCount: number,
 *   estimates: EstimateRecord[],
 *   completions: Map<string, number>,
 *   batches: BatchRecord[],
 * }} EtaTrace
 * @typedef {{ all: number[], first: number[], nulls: number }} Errors  absolute percentage errors (0.1 = 10 %)
 */

/**
 * @param {EtaTrace} trace
 * @param {{ skipJobs?: Set<string> }} [options] jobs left out (warm-up)
 * @returns {{ crowdserve: Errors, gradio3: Errors }}
 */
export function scoreTrace(trace, { skipJobs = new Set() } = {}) {
  const estimates = [...trace.estimates].sort((a, b) => a.at - b.at);
  const ends = trace.batches.map((b) => b.end).sort((a, b) => a - b);
  const byEnd = [...trace.batches].sort((a, b) => a.end - b.end);
  const starts = trace.batches.map((b) => b.start).sort((a, b) => a - b);
  /** @type {{ crowdserve: Errors, gradio3: Errors }} */
  const out = { crowdserve: errors(), gradio3: errors() };
  const seen = new Set();
  let finished = 0;
  let total = 0;
  let started = 0;
  let ended = 0;
  for (const e of estimates) {
    // Gradio's state at that moment: its running mean of finished batches, and whether all slots are busy.
    while (finished < byEnd.length && /** @type {BatchRecord} */ (byEnd[finished]).end <= e.at) {
      const b = /** @type {BatchRecord} */ (byEnd[finished++]);
      total += (b.end - b.start) / 1000;
    }
    while (started < starts.length && /** @type {number} */ (starts[started]) <= e.at) started++;
    while (ended < ends.length && /** @type {number} */ (ends[ended]) <= e.at) ended++;
    const done = trace.completions.get(e.jobId);
    if (done === undefined || skipJobs.has(e.jobId)) continue;
    const actual = (done - e.at) / 1000;
    if (actual <= 0) continue;
    const first = !seen.has(e.jobId);
    seen.add(e.jobId);
    const gradio = gradio3RankEta({
      rank: e.rank,
      avgProcessTime: finished > 0 ? total / finished : null,
      finishedCount: finished,
      concurrencyCount: trace.concurrencyCount,
      allBusy: started - ended >= trace.concurrencyCount,
    });
    record(out.crowdserve, e.rankEta, actual, first);
    record(out.gradio3, gradio, actual, first);
  }
  return out;
}

/** @returns {Errors} */
function errors() {
  return { all: [], first: [], nulls: 0 };
}

/** @param {Errors} into @param {number | null} predicted @param {number} actual @param {boolean} first */
function record(into, predicted, actual, first) {
  if (predicted === null) {
    into.nulls++;
    return;
  }
  const ape = Math.abs(predicted - actual) / actual;
  into.all.push(ape);
  if (first) into.first.push(ape);
}

/** Median and p90 of the errors, in percent. @param {number[]} apes */
export function summarize(apes) {
  return { count: apes.length, median: quantile(apes, 0.5) * 100, p90: quantile(apes, 0.9) * 100 };
}
