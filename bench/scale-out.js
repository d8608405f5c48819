// @ts-check
// Issue 23: several server processes sharing one queue on Redis (DESIGN §2 "Shared line", §9.6).
// (1) the shared queue's overhead vs the in-memory one, instant echo, same run; (2) ETA accuracy with the
// clients of one line spread over 3 processes; (3) scaling on a model whose service time is fixed (a timer),
// since 2 cores cannot show it with real work. Jobs are raw 3.x sockets (bench/lib/ws-job.js), one per job,
// as queue-throughput drives its floor. Redis round trips per job: INFO commandstats before/after a run.
import { poissonLoad } from './lib/eta-load.js';
import { scoreTrace, summarize } from './lib/eta-trace.js';
import {
  countRoundTrips,
  Fleet,
  load,
  mean,
  modelRuns,
  ROUND_TRIP_JOBS,
  slotIdleMs,
  urlsOf,
} from './lib/scale-fleet.js';
import { fmt, quantile, table } from './lib/stats.js';
import { WARM_UP_JOBS } from './eta-accuracy.js';

const ETA_TARGET = { median: 12, p90: 25 };
const SCALING_TARGET = 2.7;
/** The ETA case: eta-accuracy's (a), one slot per process, so 3 slots in all. */
const ETA_CASE = { kind: 'eta', concurrencyCount: 1, baseMs: 100, noise: 0.15 };
const UTILISATION = 0.8;
const PROCESSES = 3;
/** The timer model: each process runs one job at a time, each exactly this long. */
const TIMER_MS = 50;
/** Closed-loop clients of the scaling run: 10× one process's slots, so both sides stay saturated. */
const TIMER_IN_FLIGHT = 30;

/**
 * @typedef {import('./lib/scale-fleet.js').Run} Run
 */

/**
 * (1) The same echo through (a) one process alone, (b) one process on Redis, (c) three processes on Redis;
 * the three alternate over several rounds and are averaged, so a change in machine load hits each alike.
 * @param {Fleet} fleet @param {boolean} quick
 */
async function overhead(fleet, quick) {
  const scenarios = [
    { name: 'sequential (1 client, concurrencyCount 1)', inFlight: 1, total: quick ? 300 : 2000, slots: 1 },
    { name: 'concurrent (100 clients, concurrencyCount 8)', inFlight: 100, total: quick ? 1000 : 6000, slots: 8 },
  ];
  const rounds = quick ? 2 : 3;
  const results = [];
  for (const [n, s] of scenarios.entries()) {
    const config = { kind: 'echo', concurrencyCount: s.slots };
    // One Redis per shared side, so each side's command count is its own.
    const redisB = await fleet.startRedis();
    const redisC = await fleet.startRedis();
    const sides = {
      a: { group: await fleet.startServers(1, config), redis: undefined },
      b: { group: await fleet.startServers(1, config, { redis: redisB, key: `b${n}` }), redis: redisB },
      c: { group: await fleet.startServers(PROCESSES, config, { redis: redisC, key: `c${n}` }), redis: redisC },
    };
    const keys = /** @type {const} */ (['a', 'b', 'c']);
    /** @type {Record<'a' | 'b' | 'c', Run[]>} */
    const runs = { a: [], b: [], c: [] };
    for (const key of keys) await load(urlsOf(sides[key].group), 100, Math.min(10, s.inFlight));
    const roundTrips = {
      b: await countRoundTrips(sides.b, s.inFlight),
      c: await countRoundTrips(sides.c, s.inFlight),
    };
    for (let r = 0; r < rounds; r++) {
      for (const key of keys) {
        const side = sides[key];
        runs[key].push(await load(urlsOf(side.group), Math.ceil(s.total / rounds), s.inFlight, side.redis));
      }
    }
    for (const key of keys) await fleet.stop(sides[key].group);
    const [a, b, c] = [mean(runs.a), mean(runs.b), mean(runs.c)];
    results.push({
      scenario: s.name,
      alone: a,
      sharedOne: b,
      sharedThree: c,
      oneVsAlone: b.jobsPerSecond / a.jobsPerSecond,
      threeVsAlone: c.jobsPerSecond / a.jobsPerSecond,
      roundTrips,
    });
  }
  return results;
}

/**
 * (2) Poisson arrivals at 80 % of the 3 processes' slots, spread round-robin over them; every estimate
 * scored against its job's real completion, as eta-accuracy does for one process.
 * @param {Fleet} fleet @param {boolean} quick
 */
async function etaAcrossProcesses(fleet, quick) {
  const jobs = quick ? 250 : 800;
  const slots = PROCESSES * ETA_CASE.concurrencyCount;
  const arrivalsPerSecond = (UTILISATION * slots * 1000) / ETA_CASE.baseMs;
  const redis = await fleet.startRedis();
  const results = [];
  for (const dialect of /** @type {const} */ (['ws', 'sse_v3'])) {
    const group = await fleet.startServers(PROCESSES, ETA_CASE, { redis, key: `eta-${dialect}` });
    const run = await poissonLoad({ url: urlsOf(group), jobs, arrivalsPerSecond, dialect });
    const reports = await modelRuns(group);
    await fleet.stop(group);
    const trace = {
      concurrencyCount: slots,
      estimates: run.estimates,
      completions: run.completions,
      batches: reports.flatMap((r) => r.runs),
    };
    const scores = scoreTrace(trace, { skipJobs: new Set(run.jobIds.slice(0, WARM_UP_JOBS)) });
    const ours = summarize(scores.crowdserve.all);
    results.push({
      dialect,
      arrivalsPerSecond,
      jobs: run.jobIds.length,
      completed: run.completions.size,
      failures: run.failures,
      crowdserve: ours,
      crowdserveFirst: summarize(scores.crowdserve.first),
      crowdserveNulls: scores.crowdserve.nulls,
      gradio3: summarize(scores.gradio3.all),
      bias: medianBias(run, new Set(run.jobIds.slice(0, WARM_UP_JOBS))),
      ok: ours.median <= ETA_TARGET.median && ours.p90 <= ETA_TARGET.p90,
    });
  }
  return results;
}

/**
 * Median signed error of the estimates, in % (< 0: told too soon), which the absolute scores hide.
 * @param {{ estimates: import('./lib/eta-trace.js').EstimateRecord[], completions: Map<string, number> }} run
 * @param {Set<string>} skipJobs
 */
function medianBias(run, skipJobs) {
  /** @type {number[]} */
  const errors = [];
  for (const e of run.estimates) {
    const done = run.completions.get(e.jobId);
    if (done === undefined || e.rankEta === null || skipJobs.has(e.jobId) || done <= e.at) continue;
    const actual = (done - e.at) / 1000;
    errors.push(((e.rankEta - actual) / actual) * 100);
  }
  return quantile(errors, 0.5);
}

/**
 * (3) Each process's model is a fixed-time timer on 1 slot; the same closed-loop load (well above one
 * process's 1000 / TIMER_MS jobs/s) on 3 shared processes and on 1 (shared, and alone for reference).
 * @param {Fleet} fleet @param {boolean} quick
 */
async function scaling(fleet, quick) {
  const total = quick ? 200 : 600;
  const config = { kind: 'timer', concurrencyCount: 1, baseMs: TIMER_MS };
  const redisOne = await fleet.startRedis();
  const redisThree = await fleet.startRedis();
  const sides = [
    { name: '1 process, in-memory queue', group: await fleet.startServers(1, config), redis: undefined },
    {
      name: '1 process on Redis',
      group: await fleet.startServers(1, config, { redis: redisOne, key: 't1' }),
      redis: redisOne,
    },
    {
      name: `${PROCESSES} processes on Redis`,
      group: await fleet.startServers(PROCESSES, config, { redis: redisThree, key: 't3' }),
      redis: redisThree,
    },
  ];
  const runs = [];
  for (const side of sides) {
    const warmUp = 20;
    await load(urlsOf(side.group), warmUp, 10);
    const roundTrips = side.redis
      ? await countRoundTrips({ group: side.group, redis: side.redis }, TIMER_IN_FLIGHT)
      : null;
    const before = side.redis ? ROUND_TRIP_JOBS : 0;
    const run = await load(urlsOf(side.group), total, TIMER_IN_FLIGHT, side.redis);
    const idle = slotIdleMs(await modelRuns(side.group), Math.ceil((warmUp + before) / side.group.length));
    runs.push({ name: side.name, processes: side.group.length, ...run, idle, roundTrips });
    await fleet.stop(side.group);
  }
  const one = /** @type {(typeof runs)[number]} */ (runs[1]);
  const three = /** @type {(typeof runs)[number]} */ (runs[2]);
  return { runs, total, ratio: three.jobsPerSecond / one.jobsPerSecond };
}

/** @param {{ quick?: boolean }} options */
export async function scaleOut({ quick = false } = {}) {
  const fleet = new Fleet();
  try {
    const overheadResults = await overhead(fleet, quick);
    const etaResults = await etaAcrossProcesses(fleet, quick);
    const scalingResult = await scaling(fleet, quick);
    print(overheadResults, etaResults, scalingResult);
    return { overhead: overheadResults, eta: etaResults, scaling: scalingResult };
  } finally {
    await fleet.stopAll();
  }
}

/**
 * @param {Awaited<ReturnType<typeof overhead>>} overheadResults
 * @param {Awaited<ReturnType<typeof etaAcrossProcesses>>} etaResults
 * @param {Awaited<ReturnType<typeof scaling>>} scalingResult
 */
function print(overheadResults, etaResults, scalingResult) {
  const calls = (/** @type {number | null} */ n) => (n === null ? '–' : fmt(n, 1));
  console.log('\n## Scale-out: the shared queue (Redis) vs the in-memory one, instant echo, raw 3.x sockets\n');
  console.log(
    `(a) 1 process, in-memory; (b) 1 process on Redis; (c) ${PROCESSES} processes on Redis, clients round-robin; same run`,
  );
  console.log(
    `(round trips: commands the servers sent, MONITOR over ${ROUND_TRIP_JOBS} untimed jobs; Redis cmds: INFO commandstats over the timed runs, scripts' inner calls included)\n`,
  );
  table(
    [
      'scenario',
      '(a) jobs/s',
      '(b) jobs/s',
      '(c) jobs/s',
      '(b)/(a)',
      '(c)/(a)',
      'p50 ms a/b/c',
      'round trips/job b/c',
      'Redis cmds/job b/c',
    ],
    overheadResults.map((r) => [
      r.scenario,
      fmt(r.alone.jobsPerSecond, 0),
      fmt(r.sharedOne.jobsPerSecond, 0),
      fmt(r.sharedThree.jobsPerSecond, 0),
      fmt(r.oneVsAlone),
      fmt(r.threeVsAlone),
      `${fmt(r.alone.p50)}/${fmt(r.sharedOne.p50)}/${fmt(r.sharedThree.p50)}`,
      `${fmt(r.roundTrips.b, 1)}/${fmt(r.roundTrips.c, 1)}`,
      `${calls(r.sharedOne.redisCallsPerJob)}/${calls(r.sharedThree.redisCallsPerJob)}`,
    ]),
  );
  const first = etaResults[0];
  console.log(
    `\n## Scale-out: ETA accuracy across ${PROCESSES} processes, Poisson arrivals at ${UTILISATION * 100} % of ${PROCESSES} slots` +
      ` (${fmt(first?.arrivalsPerSecond ?? NaN, 0)} jobs/s, ${ETA_CASE.baseMs} ms ± ${ETA_CASE.noise * 100} %)`,
  );
  console.log(
    `(every rank_eta a job heard vs its real completion, the first ${WARM_UP_JOBS} jobs left out; % median / p90; signed: < 0 told too soon)\n`,
  );
  table(
    [
      'dialect',
      'jobs',
      'estimates',
      'crowdserve',
      'crowdserve 1st only',
      'signed median',
      'Gradio 3 formula',
      'target',
      'ok',
    ],
    etaResults.map((r) => [
      r.dialect,
      `${r.completed}/${r.jobs}`,
      r.crowdserve.count,
      `${fmt(r.crowdserve.median, 1)} / ${fmt(r.crowdserve.p90, 1)}`,
      `${fmt(r.crowdserveFirst.median, 1)} / ${fmt(r.crowdserveFirst.p90, 1)}`,
      `${r.bias > 0 ? '+' : ''}${fmt(r.bias, 1)}`,
      `${fmt(r.gradio3.median, 1)} / ${fmt(r.gradio3.p90, 1)}`,
      `≤ ${ETA_TARGET.median} / ≤ ${ETA_TARGET.p90}`,
      r.ok ? 'yes' : 'NO',
    ]),
  );
  console.log(
    `\n## Scale-out: a ${TIMER_MS} ms timer model, 1 slot per process, ${TIMER_IN_FLIGHT} clients in flight, ${scalingResult.total} jobs\n`,
  );
  table(
    ['side', 'jobs/s', 'p50/p99 ms', 'slot idle between jobs p50/p90 ms', 'round trips/job', 'Redis cmds/job'],
    scalingResult.runs.map((r) => [
      r.name,
      fmt(r.jobsPerSecond, 1),
      `${fmt(r.p50)}/${fmt(r.p99)}`,
      `${fmt(r.idle.p50, 1)}/${fmt(r.idle.p90, 1)}`,
      calls(r.roundTrips),
      calls(r.redisCallsPerJob),
    ]),
  );
  const ok = scalingResult.ratio >= SCALING_TARGET;
  console.log(
    `\n${PROCESSES} processes / 1 process on Redis: ${fmt(scalingResult.ratio)} (target ≥ ${SCALING_TARGET}): ${ok ? 'yes' : 'NO'}`,
  );
}
