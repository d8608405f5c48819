// @ts-check
// Issue 2: crowdserve's queue vs a bare ws server doing the same exchange (the floor).
// Issue 20: the same queue over sse_v3 (one multiplexed session stream per app) beside the 3.x socket per job.
import { connect } from '@crowdserve/client';
import { startChild } from './lib/child.js';
import { fmt, quantile, table } from './lib/stats.js';
import { sseSession } from './lib/sse-session.js';
import { runJob } from './lib/ws-job.js';

/**
 * @param {() => Promise<number>} runOne one job; resolves with its latency in ms
 * @param {number} total jobs
 * @param {number} inFlight jobs at once
 */
async function load(runOne, total, inFlight) {
  /** @type {number[]} */
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        latencies.push(await runOne());
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { jobsPerSecond: total / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** @param {string} url a 3.x job over its own raw `ws` socket, as the floor is driven */
const rawWebSocket = (url) => () => /** @type {Promise<number>} */ (runJob(url, ['x']));

/**
 * Jobs through one `@crowdserve/client` app: on sse_v3 every job of the app shares its session stream,
 * as `@gradio/client` 2.x's jobs do; on `ws` each job opens its own socket.
 * @param {string} url
 * @param {'ws' | 'sse_v3'} transport
 */
async function clientApp(url, transport) {
  const app = await connect(url, { transport, retry: false });
  return {
    runOne: async () => {
      const started = performance.now();
      await app.predict('/identity', ['x']);
      return performance.now() - started;
    },
    close: () => app.close(),
  };
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
  // Both servers start once per scenario; the measurements alternate floor / crowdserve ws / crowdserve
  // sse_v3 over several rounds and are averaged, so a change in machine load hits every side alike.
  const rounds = quick ? 2 : 3;
  for (const s of scenarios) {
    const floor = await startChild('servers/floor-server.js');
    const ours = await startChild('servers/crowdserve-server.js', s.crowdserveArgs);
    const sides = {
      floor: rawWebSocket(floor.url),
      ws: rawWebSocket(ours.url),
      sseRaw: sseSession(ours.url),
      clientWs: await clientApp(ours.url, 'ws'),
      sse: await clientApp(ours.url, 'sse_v3'),
    };
    const runners = {
      floor: sides.floor,
      ws: sides.ws,
      sseRaw: () => /** @type {Promise<number>} */ (sides.sseRaw.runJob(['x'])),
      clientWs: sides.clientWs.runOne,
      sse: sides.sse.runOne,
    };
    /** @type {Record<keyof typeof runners, ReturnType<typeof mean>[]>} */
    const runs = { floor: [], ws: [], sseRaw: [], clientWs: [], sse: [] };
    for (const key of /** @type {(keyof typeof runners)[]} */ (Object.keys(runners))) {
      await load(runners[key], 100, Math.min(10, s.inFlight));
    }
    for (let r = 0; r < rounds; r++) {
      for (const key of /** @type {(keyof typeof runners)[]} */ (Object.keys(runners))) {
        runs[key].push(await load(runners[key], Math.ceil(s.total / rounds), s.inFlight));
      }
    }
    sides.sseRaw.close();
    sides.clientWs.close();
    sides.sse.close();
    await floor.stop();
    await ours.stop();
    const floorRun = mean(runs.floor);
    const oursRun = mean(runs.ws);
    const clientWsRun = mean(runs.clientWs);
    const sseRun = mean(runs.sse);
    const sseRawRun = mean(runs.sseRaw);
    results.push({
      scenario: s.name,
      target: s.target,
      floor: floorRun,
      crowdserve: oursRun,
      ratio: oursRun.jobsPerSecond / floorRun.jobsPerSecond,
      clientWs: clientWsRun,
      sse: sseRun,
      sseRaw: sseRawRun,
      sseRawVsWs: sseRawRun.jobsPerSecond / oursRun.jobsPerSecond,
      sseVsClientWs: sseRun.jobsPerSecond / clientWsRun.jobsPerSecond,
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
  console.log('\n## Queue throughput: sse_v3 (one stream per session) vs the 3.x dialect (one socket per job)\n');
  console.log(
    '(same server, same run. raw: bare node:http / ws drivers; client: @crowdserve/client, transport ws or sse_v3)\n',
  );
  table(
    [
      'scenario',
      'ws raw jobs/s',
      'sse_v3 raw jobs/s',
      'sse_v3 / ws raw',
      'ws client jobs/s',
      'sse_v3 client jobs/s',
      'sse_v3 / ws client',
      'sse_v3 raw / client p50 ms',
    ],
    results.map((r) => [
      r.scenario,
      fmt(r.crowdserve.jobsPerSecond, 0),
      fmt(r.sseRaw.jobsPerSecond, 0),
      `${fmt(r.sseRawVsWs)} ${r.sseRawVsWs > 1 ? '(beats ws)' : '(NO)'}`,
      fmt(r.clientWs.jobsPerSecond, 0),
      fmt(r.sse.jobsPerSecond, 0),
      `${fmt(r.sseVsClientWs)} ${r.sseVsClientWs > 1 ? '(beats ws)' : '(NO)'}`,
      `${fmt(r.sseRaw.p50)} / ${fmt(r.sse.p50)}`,
    ]),
  );
  return results;
}
