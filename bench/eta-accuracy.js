// @ts-check
// Issue 6: how far off are the ETAs people are told? Poisson arrivals at ~80 % utilisation; every
// `rank_eta` a job hears (the first and each later one) vs when it really completed. Scored for
// crowdserve and, on the same trace, for Gradio 3's formula. Two sources: the engine on a simulated
// clock (many jobs, deterministic) and the real server with real sleeps over loopback WebSockets.
import { startChild } from './lib/child.js';
import { poissonLoad } from './lib/eta-load.js';
import { simulate } from './lib/eta-sim.js';
import { scoreTrace, summarize } from './lib/eta-trace.js';
import { fmt, table } from './lib/stats.js';

/** Jobs left out of the scores while the queue learns its first timings (both formulas alike). */
export const WARM_UP_JOBS = 50;
const TARGET = { median: 12, p90: 25 };
const UTILISATION = 0.8;

/**
 * The loads. Utilisation of a batched endpoint is counted against its best throughput (full batches):
 * λ = 0.8 · slots · maxBatchSize / S(maxBatchSize).
 */
const CASES = [
  {
    name: '(a) unbatched, concurrencyCount 2, 100 ms ± 15 %',
    concurrencyCount: 2,
    batch: false,
    maxBatchSize: 1,
    baseMs: 100,
    perItemMs: 0,
    noise: 0.15,
  },
  {
    name: '(b) batched ≤ 8, concurrencyCount 1, 40 + 10·b ms ± 15 %',
    concurrencyCount: 1,
    batch: true,
    maxBatchSize: 8,
    baseMs: 40,
    perItemMs: 10,
    noise: 0.15,
  },
  {
    // Beyond the two cases: two slots make batch sizes (and so run times) twice as random.
    extra: true,
    name: "(b') batched ≤ 8, concurrencyCount 2, 40 + 10·b ms ± 15 %",
    concurrencyCount: 2,
    batch: true,
    maxBatchSize: 8,
    baseMs: 40,
    perItemMs: 10,
    noise: 0.15,
  },
];

/** @param {(typeof CASES)[number]} c */
function arrivalsPerSecond(c) {
  const full = c.baseMs + c.perItemMs * c.maxBatchSize;
  return (UTILISATION * c.concurrencyCount * c.maxBatchSize * 1000) / full;
}

/** @param {(typeof CASES)[number]} c @param {number} jobs */
function simulated(c, jobs) {
  const trace = simulate({
    concurrencyCount: c.concurrencyCount,
    endpoint: c.batch ? { batch: true, maxBatchSize: c.maxBatchSize } : {},
    jobs,
    arrivalsPerSecond: arrivalsPerSecond(c),
    serviceMs: (b, rand) => (c.baseMs + c.perItemMs * b) * (1 + c.noise * (2 * rand() - 1)),
    seed: 1,
    // Each picked client takes a moment to send its data, as over loopback.
    dataRoundTripMs: 1,
  });
  return { trace, jobIds: trace.jobIds, failures: 0 };
}

/** @param {(typeof CASES)[number]} c @param {number} jobs @param {'ws' | 'sse_v3'} dialect */
async function realServer(c, jobs, dialect) {
  const server = await startChild('servers/eta-server.js', [JSON.stringify({ ...c, seed: 3 })]);
  try {
    const load = await poissonLoad({ url: server.url, jobs, arrivalsPerSecond: arrivalsPerSecond(c), dialect });
    /** @type {Promise<{ batches: { start: number, end: number }[] }>} */
    const report = new Promise((resolve) => server.child.once('message', (m) => resolve(/** @type {any} */ (m))));
    server.child.send('report');
    const { batches } = await report;
    const trace = {
      concurrencyCount: c.concurrencyCount,
      estimates: load.estimates,
      completions: load.completions,
      batches,
    };
    return { trace, jobIds: load.jobIds, failures: load.failures };
  } finally {
    await server.stop();
  }
}

/** @param {{ quick?: boolean }} options */
export async function etaAccuracy({ quick = false } = {}) {
  const simJobs = quick ? 2_000 : 10_000;
  const realJobs = { a: quick ? 250 : 800, b: quick ? 500 : 2_000 };
  const results = [];
  for (const c of CASES) {
    /** @type {{ source: string, trace: import('./lib/eta-trace.js').EtaTrace, jobIds: string[], failures: number }[]} */
    const runs = [{ source: 'simulated clock', ...simulated(c, simJobs) }];
    // The real server: fewer jobs (real sleeps), and not for the extra case.
    // Each dialect hears the same queue's estimates: 3.x over a socket per job, sse_v3 on each session's stream.
    const realCount = c.name.startsWith('(a)') ? realJobs.a : c.name.startsWith('(b)') ? realJobs.b : 0;
    for (const dialect of /** @type {const} */ (['ws', 'sse_v3'])) {
      if (realCount > 0) {
        runs.push({ source: `real server, ${dialect}`, ...(await realServer(c, realCount, dialect)) });
      }
    }
    for (const run of runs) {
      const skipJobs = new Set(run.jobIds.slice(0, WARM_UP_JOBS));
      const scores = scoreTrace(run.trace, { skipJobs });
      const ours = summarize(scores.crowdserve.all);
      results.push({
        case: c.name,
        source: run.source,
        arrivalsPerSecond: arrivalsPerSecond(c),
        jobs: run.jobIds.length,
        completed: run.trace.completions.size,
        failures: run.failures,
        crowdserve: ours,
        crowdserveFirst: summarize(scores.crowdserve.first),
        crowdserveNulls: scores.crowdserve.nulls,
        gradio3: summarize(scores.gradio3.all),
        gradio3First: summarize(scores.gradio3.first),
        target: TARGET,
        ok: ours.median <= TARGET.median && ours.p90 <= TARGET.p90,
        extra: c.extra === true,
      });
    }
  }
  console.log(
    `\n## ETA accuracy: |rank_eta − real time to completion| / real time, Poisson arrivals at ${UTILISATION * 100} %`,
  );
  console.log(`(every estimate a job heard, the first ${WARM_UP_JOBS} jobs left out as warm-up; % median / p90)\n`);
  table(
    ['case', 'source', 'jobs', 'estimates', 'crowdserve', 'crowdserve 1st only', 'Gradio 3 formula', 'target', 'ok'],
    results.map((r) => [
      r.case,
      r.source,
      `${r.completed}/${r.jobs}`,
      r.crowdserve.count,
      `${fmt(r.crowdserve.median, 1)} / ${fmt(r.crowdserve.p90, 1)}`,
      `${fmt(r.crowdserveFirst.median, 1)} / ${fmt(r.crowdserveFirst.p90, 1)}`,
      `${fmt(r.gradio3.median, 1)} / ${fmt(r.gradio3.p90, 1)}`,
      `≤ ${TARGET.median} / ≤ ${TARGET.p90}`,
      `${r.ok ? 'yes' : 'NO'}${r.extra ? ' (extra)' : ''}`,
    ]),
  );
  return results;
}
