// @ts-check
// Issue 4 (a): Silero VAD at saturation through the real queue, batching on vs off, and the batched
// figure against a bare `session.run` loop at the same batch size.
//
// Each request is a 1 s clip (16000 samples, 32 frames): long enough that the model's work, not
// the per-job socket and HTTP cost, is what batching acts on (a single 32 ms frame costs the model
// 0.3 ms, under a tenth of what one job costs the queue, so batching frames shows the queue, not
// batching). The samples travel in the endpoint's compact wire form, base64 little-endian float32
// (`encodeVadSamples`): 85 kB a clip, decoded in ~0.2 ms, where JSON numbers cost ~3.6 ms of the
// server's main thread per clip — as much as the model's own work at batch 32.
//
// Every session runs with intraOpNumThreads 1, crowdserve's and the bare loop's alike: on a 2-core
// machine the one worker's second ORT thread would fight the server's main thread and the load
// generator for the same cores.
//
// Two rows say where the gap to the bare loop is: the pool alone (the endpoint's handler called in
// this process, no queue, no sockets), and the bare loop run beside the server doing the batched
// socket run's work with its model replaced by a timer (no worker): what a model thread loses on
// this machine next to the server's main thread and the load generator, whoever runs the model.
import { encodeVadSamples } from '@crowdserve/onnx/node';
import { serverDelta, startOnnxServer } from './lib/onnx-child.js';
import { httpJob, saturate, wsJob } from './lib/load.js';
import { machineLoad } from './lib/machine.js';
import { fmt, table } from './lib/stats.js';
import { bareVadLoop } from './lib/vad-bare.js';
import { bareVadBesideServer } from './lib/vad-beside.js';
import { poolVadLoop } from './lib/vad-pool.js';

const CLIP_SAMPLES = 16_000;
const BATCH_SIZE = 32;
/** Two batches' worth, so a full batch waits while one runs. */
const IN_FLIGHT = 64;
const SESSION_OPTIONS = { intraOpNumThreads: 1 };
const TARGET_ON_OFF = 2.5;
const TARGET_VS_BARE = 0.8;

/** A 1 s clip: 250 ms tone bursts between near-silence, quantized to 4 decimals. */
function clip() {
  return Float32Array.from({ length: CLIP_SAMPLES }, (_, i) => {
    const voiced = Math.floor(i / 4000) % 2 === 1;
    const x = (voiced ? 0.3 * Math.sin(i / 10) : 0) + 0.01 * Math.sin(i * 1.7);
    return Math.round(x * 1e4) / 1e4;
  });
}

/**
 * VAD behind `serve()` in a child process, loaded to saturation.
 * @param {'ws' | 'http'} transport
 * @param {Record<string, unknown>} endpoint
 * @param {unknown[]} data
 * @param {{ warmupMs: number, measureMs: number }} window
 */
async function throughQueue(transport, endpoint, data, window) {
  const server = await startOnnxServer({
    model: 'vad',
    concurrencyCount: 1,
    endpoint: { ...endpoint, sessionOptions: SESSION_OPTIONS },
  });
  const job = transport === 'ws' ? wsJob(server.url, data) : httpJob(server.url, 'vad', data);
  try {
    const run = await saturate(job, { inFlight: IN_FLIGHT, ...window, probe: server.stats });
    const { before, after, ...client } = run;
    return { ...client, server: serverDelta(before, after) };
  } finally {
    if ('close' in job) /** @type {{ close: () => void }} */ (job).close();
    await server.stop();
  }
}

/**
 * One round: per transport, batching off, then batching on next to a bare loop at batch 32 (the
 * pair the "vs bare" ratio compares: adjacent runs, so the VM's drift over a round weighs on both
 * alike; the pair's order alternates from round to round); then the unbatched bare loop, the pool
 * alone, and the bare loop beside the server's socket work with no model thread in it (what the
 * machine, not crowdserve, takes from a model thread there).
 * @param {Float32Array} samples
 * @param {{ warmupMs: number, measureMs: number }} window
 * @param {number} index the round's number, from 0
 */
async function round(samples, window, index) {
  const data = [encodeVadSamples(samples)];
  const loop = { batchSize: BATCH_SIZE, sessionOptions: SESSION_OPTIONS, ...window };
  /** @type {Record<'ws' | 'http', { off: Awaited<ReturnType<typeof throughQueue>>, on: Awaited<ReturnType<typeof throughQueue>>, bare: Awaited<ReturnType<typeof bareVadLoop>> }>} */
  const queue = /** @type {any} */ ({});
  for (const transport of /** @type {const} */ (['ws', 'http'])) {
    const off = await throughQueue(transport, { batch: false }, data, window);
    const batched = () => throughQueue(transport, { batch: true, maxBatchSize: BATCH_SIZE }, data, window);
    if (index % 2 === 0) {
      const on = await batched();
      queue[transport] = { off, on, bare: await bareVadLoop(samples, loop) };
    } else {
      const bare = await bareVadLoop(samples, loop);
      queue[transport] = { off, on: await batched(), bare };
    }
  }
  const bareUnbatched = await bareVadLoop(samples, { ...loop, batchSize: 1 });
  const pool = await poolVadLoop(samples, loop);
  const bareBatchMs = (BATCH_SIZE * 1000 * 2) / (queue.ws.bare.clipsPerSecond + queue.http.bare.clipsPerSecond);
  const beside = await bareVadBesideServer(samples, { ...loop, batchMs: bareBatchMs, inFlight: IN_FLIGHT });
  return { queue, bareUnbatched, pool, beside };
}

/** The mean over rounds of the number `pick` finds in each. */
const meanOf = (/** @type {any[]} */ rounds, /** @type {(r: any) => number} */ pick) =>
  rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;

/** @param {{ quick?: boolean }} options */
export async function onnxBatching({ quick = false } = {}) {
  const window = quick ? { warmupMs: 1000, measureMs: 2500 } : { warmupMs: 2000, measureMs: 6000 };
  // Whole rounds, one after another, so that other work on the machine weighs on every setting alike.
  const roundCount = quick ? 1 : 2;
  console.log('\n## ONNX batching: Silero VAD, 1 s clips, concurrencyCount 1, 64 clients in flight\n');
  const machineBefore = machineLoad();
  const samples = clip();
  /** @type {Awaited<ReturnType<typeof round>>[]} */
  const rounds = [];
  for (let i = 0; i < roundCount; i++) rounds.push(await round(samples, window, i));
  const machineAfter = machineLoad();

  /**
   * @typedef {{ serverCpuPerJobMs: number, cores: number, mainThreadBusy: number, handlerPerBatchMs: number, meanBatchSize: number }} ServerFigures
   * @typedef {{ jobsPerSecond: number, p50: number, p99: number, clientCpuPerJobMs: number, server: ServerFigures }} Setting
   */
  // Per setting, the mean over rounds of each figure printed.
  const queue = /** @type {Record<'ws' | 'http', Record<'off' | 'on', Setting>>} */ (
    Object.fromEntries(
      ['ws', 'http'].map((t) => [
        t,
        Object.fromEntries(
          ['off', 'on'].map((mode) => {
            const runs = rounds.map((r) => /** @type {any} */ (r.queue)[t][mode]);
            return [
              mode,
              {
                jobsPerSecond: meanOf(runs, (r) => r.jobsPerSecond),
                p50: meanOf(runs, (r) => r.p50),
                p99: meanOf(runs, (r) => r.p99),
                clientCpuPerJobMs: meanOf(runs, (r) => r.clientCpuPerJobMs),
                server: Object.fromEntries(
                  Object.keys(runs[0].server).map((k) => [k, meanOf(runs, (r) => r.server[k])]),
                ),
              },
            ];
          }),
        ),
      ]),
    )
  );
  // Every bare loop at batch 32 of the run, both transports' pairs: the model alone on this machine.
  const bareRuns = rounds.flatMap((r) => [r.queue.ws.bare, r.queue.http.bare]);
  const bare = {
    clipsPerSecond: meanOf(bareRuns, (r) => r.clipsPerSecond),
    runMs: meanOf(bareRuns, (r) => r.runMs),
  };
  /** The mean over rounds of the bare loop run next to a transport's batched run. */
  const pairedBare = (/** @type {'ws' | 'http'} */ t) => meanOf(rounds, (r) => r.queue[t].bare.clipsPerSecond);
  const bareUnbatched = { clipsPerSecond: meanOf(rounds, (r) => r.bareUnbatched.clipsPerSecond) };
  const pool = { clipsPerSecond: meanOf(rounds, (r) => r.pool.clipsPerSecond) };
  const beside = {
    clipsPerSecond: meanOf(rounds, (r) => r.beside.clipsPerSecond),
    serverJobsPerSecond: meanOf(rounds, (r) => r.beside.serverJobsPerSecond),
  };

  const transports = {
    ws: 'queue socket (Gradio 3; data asked for while waiting)',
    http: 'POST /run/vad (data sent with the request)',
  };
  const onOff = Object.entries(queue).map(([transport, { off, on }]) => ({
    scenario: transports[/** @type {'ws' | 'http'} */ (transport)],
    off: off.jobsPerSecond,
    on: on.jobsPerSecond,
    meanBatchSize: on.server.meanBatchSize,
    ratio: on.jobsPerSecond / off.jobsPerSecond,
  }));
  console.log('\n### Batching on (maxBatchSize 32) vs off (batch: false), clips/s\n');
  table(
    ['scenario', 'off', 'on', 'mean batch', 'ratio', 'target', 'ok'],
    [
      ...onOff.map((r) => [
        r.scenario,
        fmt(r.off, 1),
        fmt(r.on, 1),
        fmt(r.meanBatchSize, 1),
        fmt(r.ratio),
        `≥ ${TARGET_ON_OFF}`,
        r.ratio >= TARGET_ON_OFF ? 'yes' : 'NO',
      ]),
      [
        'bare session.run, batch 1 vs 32 (the model alone)',
        fmt(bareUnbatched.clipsPerSecond, 1),
        fmt(bare.clipsPerSecond, 1),
        String(BATCH_SIZE),
        fmt(bare.clipsPerSecond / bareUnbatched.clipsPerSecond),
        '—',
        '',
      ],
    ],
  );

  const vsBare = [
    ...Object.entries(queue).map(([transport, { on }]) => ({
      scenario: `through the queue, ${transports[/** @type {'ws' | 'http'} */ (transport)]}`,
      clipsPerSecond: on.jobsPerSecond,
      bareClipsPerSecond: pairedBare(/** @type {'ws' | 'http'} */ (transport)),
      target: TARGET_VS_BARE,
      note: null,
    })),
    {
      scenario: 'the pool alone (handler called in-process, no queue)',
      clipsPerSecond: pool.clipsPerSecond,
      bareClipsPerSecond: bare.clipsPerSecond,
      target: null,
      note: '(where the gap is)',
    },
    {
      scenario: `a bare loop beside the socket server, its model a timer (${fmt(beside.serverJobsPerSecond, 0)} jobs/s; no worker)`,
      clipsPerSecond: beside.clipsPerSecond,
      bareClipsPerSecond: bare.clipsPerSecond,
      target: null,
      note: "(the machine's share)",
    },
  ].map((r) => ({ ...r, ratio: r.clipsPerSecond / r.bareClipsPerSecond }));
  console.log(
    `\n### Batched crowdserve vs a bare session.run loop at batch 32 (${fmt(bare.clipsPerSecond, 1)} clips/s, all bare runs)\n`,
  );
  table(
    ['scenario', 'clips/s', 'bare loop next to it', 'ratio', 'target', 'ok'],
    vsBare.map((r) => [
      r.scenario,
      fmt(r.clipsPerSecond, 1),
      r.target === null ? `${fmt(r.bareClipsPerSecond, 1)} (all)` : fmt(r.bareClipsPerSecond, 1),
      fmt(r.ratio),
      r.target === null ? (r.note ?? '') : `≥ ${r.target}`,
      r.target === null ? '' : r.ratio >= r.target ? 'yes' : 'NO',
    ]),
  );

  console.log('\n### Where the time goes (per job unless said; CPU in ms)\n');
  table(
    [
      'run',
      'server CPU',
      'server cores',
      'main thread busy',
      'handler ms/batch',
      'slot busy',
      'client CPU',
      'p50/p99 ms',
    ],
    Object.entries(queue).flatMap(([transport, runs]) =>
      Object.entries(runs).map(([mode, r]) => [
        `${transport}, batching ${mode}`,
        fmt(r.server.serverCpuPerJobMs),
        fmt(r.server.cores),
        `${fmt(r.server.mainThreadBusy * 100, 0)}%`,
        fmt(r.server.handlerPerBatchMs, 1),
        // The one slot's share of the time in its handler: the rest it waited (for data, for jobs).
        `${fmt(((r.jobsPerSecond / r.server.meanBatchSize) * r.server.handlerPerBatchMs) / 10, 0)}%`,
        fmt(r.clientCpuPerJobMs),
        `${fmt(r.p50, 0)}/${fmt(r.p99, 0)}`,
      ]),
    ),
  );
  console.log(
    `bare loop: ${fmt(bare.runMs)} ms per session.run at batch 32, ${fmt(1000 / bare.clipsPerSecond)} ms of model per clip`,
  );
  if (roundCount > 1) {
    const each = (/** @type {(r: any) => number} */ pick) => rounds.map((r) => fmt(pick(r), 1)).join(', ');
    console.log(
      `rounds (clips/s): ws off ${each((r) => r.queue.ws.off.jobsPerSecond)}; ws on ${each((r) => r.queue.ws.on.jobsPerSecond)}; ` +
        `http off ${each((r) => r.queue.http.off.jobsPerSecond)}; http on ${each((r) => r.queue.http.on.jobsPerSecond)}; ` +
        `bare next to ws on ${each((r) => r.queue.ws.bare.clipsPerSecond)}; bare next to http on ${each((r) => r.queue.http.bare.clipsPerSecond)}; ` +
        `pool ${each((r) => r.pool.clipsPerSecond)}; bare beside the server ${each((r) => r.beside.clipsPerSecond)} ` +
        `(each pair's order alternates: batched first in round 1)`,
    );
  }

  return {
    clipSamples: CLIP_SAMPLES,
    batchSize: BATCH_SIZE,
    inFlight: IN_FLIGHT,
    sessionOptions: SESSION_OPTIONS,
    window,
    machine: { before: machineBefore, after: machineAfter },
    rounds,
    bare,
    bareUnbatched,
    pool,
    beside,
    onOff: onOff.map((r) => ({ ...r, target: TARGET_ON_OFF })),
    vsBare,
  };
}
