// @ts-check
// Issue 2: crowdserve's queue vs a bare ws server doing the same exchange (the floor).
import { startChild } from './lib/child.js';
import { fmt, quantile, table } from './lib/stats.js';
import { runJob } from './lib/ws-job.js';

/**
 * @param {string} url
 * @param {number} total jobs
 * @param {number} inFlight clients at once
 */
async function load(url, total, inFlight) {
  /** @type {number[]} */
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        latencies.push(/** @type {number} */ (await runJob(url, ['x'])));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { jobsPerSecond: total / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/**
 * @param {{ jobsPerSecond: number, p50: number, p99: number }[]} runs
 */
function mean(runs) {
  const avg = (/** @type {(r: typeof runs[number]) => number} */ f) =>
    runs.reduce((sum, r) => sum + f(r), 0) / runs.length;
  return { jobsPerSecond: avg((r) => r.jobsPerSecond), p50: avg((r) => r.p50), p99: avg((r) => r.p99) };
}

/** @param {{ quick?: boolean }} options */
export async function queueThroughput({ quick = false } = {}) {
  const sequentialJobs = quick ? 300 : 2000;
  const concurrentJobs = quick ? 1000 : 6000;
  const scenarios = [
    {
      name: 'sequential (1 client, concurrencyCount 1)',
      inFlight: 1,
      total: sequentialJobs,
      crowdserveArgs: ['1'],
      target: 0.7,
    },
    {
      name: 'concurrent (100 clients, concurrencyCount 8)',
      inFlight: 100,
      total: concurrentJobs,
      crowdserveArgs: ['8'],
      target: 0.5,
    },
  ];
  const results = [];
  // Both servers start once per scenario; the measurements alternate floor / crowdserve over several
  // rounds and are averaged, so a change in machine load hits both sides alike.
  const rounds = quick ? 2 : 3;
  for (const s of scenarios) {
    const floor = await startChild('servers/floor-server.js');
    const ours = await startChild('servers/crowdserve-server.js', s.crowdserveArgs);
    await load(floor.url, 100, Math.min(10, s.inFlight));
    await load(ours.url, 100, Math.min(10, s.inFlight));
    const floorRuns = [];
    const ourRuns = [];
    for (let r = 0; r < rounds; r++) {
      floorRuns.push(await load(floor.url, Math.ceil(s.total / rounds), s.inFlight));
      ourRuns.push(await load(ours.url, Math.ceil(s.total / rounds), s.inFlight));
    }
    await floor.stop();
    await ours.stop();
    const floorRun = mean(floorRuns);
    const oursRun = mean(ourRuns);
    results.push({
      scenario: s.name,
      target: s.target,
      floor: floorRun,
      crowdserve: oursRun,
      ratio: oursRun.jobsPerSecond / floorRun.jobsPerSecond,
    });
  }
  console.log('\n## Queue throughput: crowdserve vs a bare ws server (the floor)\n');
  table(
    [
      'scenario',
      'floor jobs/s',
      'crowdserve jobs/s',
      'ratio',
      'target',
      'floor p50/p99 ms',
      'crowdserve p50/p99 ms',
      'ok',
    ],
    results.map((r) => [
      r.scenario,
      fmt(r.floor.jobsPerSecond, 0),
      fmt(r.crowdserve.jobsPerSecond, 0),
      fmt(r.ratio),
      `≥ ${r.target}`,
      `${fmt(r.floor.p50)}/${fmt(r.floor.p99)}`,
      `${fmt(r.crowdserve.p50)}/${fmt(r.crowdserve.p99)}`,
      r.ratio >= r.target ? 'yes' : 'NO',
    ]),
  );
  return results;
}
