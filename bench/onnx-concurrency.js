// @ts-check
// Issue 4 (b): concurrencyCount 1 vs 2 on a CPU-bound model, the PP-OCRv4 recognizer, through the
// queue. One ORT thread per worker (intraOpNumThreads 1), so two workers mean two cores at work and
// one worker means one. Batching is off, so the only difference is the number of workers.
//
// A control runs beside it: the bare `session.run` loop in 1 and 2 threads, no queue, no pool. On
// a shared machine its ratio says how much of a second core there was to have.
//
// Requests go over `POST /run/ocr`: the data comes with the request. Over the queue socket a
// job's data is asked for only once it is picked, and a second slot would hide that round trip:
// the gain would be partly latency hiding, not a second core.
import { serverDelta, startOnnxServer } from './lib/onnx-child.js';
import { httpJob, predict, saturate } from './lib/load.js';
import { machineLoad } from './lib/machine.js';
import { bareOcrThreads } from './lib/ocr-bare.js';
import { ocrLine } from './lib/ocr-line.js';
import { fmt, table } from './lib/stats.js';

const TEXT = 'The quick brown fox jumps over the lazy dog';
/** Four per worker at most: both workers always have a job waiting. */
const IN_FLIGHT = 8;
const SESSION_OPTIONS = { intraOpNumThreads: 1 };
const TARGET = 1.6;

/**
 * @param {number} concurrencyCount
 * @param {{ width: number, height: number, data: string }} line
 * @param {{ warmupMs: number, measureMs: number }} window
 */
async function run(concurrencyCount, line, window) {
  const server = await startOnnxServer({
    model: 'ocr',
    concurrencyCount,
    endpoint: { batch: false, sessionOptions: SESSION_OPTIONS },
  });
  const job = httpJob(server.url, 'ocr', [line]);
  try {
    // One request first: the benchmark runs the real model on a real line, and it reads it.
    const [read] = await predict(server.url, 'ocr', [line]);
    const measured = await saturate(job, { inFlight: IN_FLIGHT, ...window, probe: server.stats });
    const { before, after, ...client } = measured;
    return { concurrencyCount, read, ...client, server: serverDelta(before, after) };
  } finally {
    job.close();
    await server.stop();
  }
}

/** @param {{ quick?: boolean }} options */
export async function onnxConcurrency({ quick = false } = {}) {
  const window = quick ? { warmupMs: 1000, measureMs: 3000 } : { warmupMs: 2000, measureMs: 8000 };
  // Alternating rounds, so that other work on the machine weighs on both settings alike.
  const rounds = quick ? 1 : 2;
  const line = ocrLine(TEXT);
  console.log(
    `\n## ONNX concurrency: PP-OCRv4 recognizer, a ${line.width}×${line.height} line, batch off, ` +
      `intraOpNumThreads 1, ${IN_FLIGHT} clients in flight\n`,
  );
  const machineBefore = machineLoad();
  /** @type {Awaited<ReturnType<typeof run>>[]} */
  const runs = [];
  /** @type {{ threads: number, linesPerSecond: number }[]} */
  const controls = [];
  for (let round = 0; round < rounds; round++) {
    for (const workers of [1, 2]) {
      runs.push(await run(workers, line, window));
      const control = await bareOcrThreads(workers, line, { sessionOptions: SESSION_OPTIONS, ...window });
      controls.push({ threads: workers, ...control });
    }
  }
  const machineAfter = machineLoad();
  for (const r of runs) {
    if (r.read !== TEXT) console.log(`note: concurrencyCount ${r.concurrencyCount} read ${JSON.stringify(r.read)}`);
  }
  /** The mean over rounds, for 1 or 2 workers, of what `pick` finds. */
  const mean = (/** @type {any[]} */ list, /** @type {number} */ n, /** @type {(r: any) => number} */ pick) => {
    const these = list.filter((r) => (r.concurrencyCount ?? r.threads) === n);
    return these.reduce((sum, r) => sum + pick(r), 0) / these.length;
  };
  const rows = [1, 2].map((n) => ({
    workers: n,
    jobsPerSecond: mean(runs, n, (r) => r.jobsPerSecond),
    cores: mean(runs, n, (r) => r.server.cores),
    cpuPerJobMs: mean(runs, n, (r) => r.server.serverCpuPerJobMs),
    handlerMs: mean(runs, n, (r) => r.server.handlerPerBatchMs),
    p50: mean(runs, n, (r) => r.p50),
    bareLinesPerSecond: mean(controls, n, (r) => r.linesPerSecond),
  }));
  const [one, two] = /** @type {[(typeof rows)[number], (typeof rows)[number]]} */ (rows);
  const ratio = two.jobsPerSecond / one.jobsPerSecond;
  const bareRatio = two.bareLinesPerSecond / one.bareLinesPerSecond;
  table(
    ['setting', '1 worker', '2 workers', 'ratio', 'target', 'ok'],
    [
      [
        'crowdserve, concurrencyCount 1 vs 2 (lines/s)',
        fmt(one.jobsPerSecond),
        fmt(two.jobsPerSecond),
        fmt(ratio),
        `≥ ${TARGET}`,
        ratio >= TARGET ? 'yes' : 'NO',
      ],
      [
        'control: bare session.run in 1 vs 2 threads (lines/s)',
        fmt(one.bareLinesPerSecond),
        fmt(two.bareLinesPerSecond),
        fmt(bareRatio),
        '(what the machine gave)',
        '',
      ],
      ['crowdserve server cores used', fmt(one.cores), fmt(two.cores), '', '', ''],
      ['crowdserve server CPU ms per line', fmt(one.cpuPerJobMs, 1), fmt(two.cpuPerJobMs, 1), '', '', ''],
      ['crowdserve handler ms per line', fmt(one.handlerMs, 1), fmt(two.handlerMs, 1), '', '', ''],
      ['crowdserve p50 latency ms', fmt(one.p50, 0), fmt(two.p50, 0), '', '', ''],
    ],
  );
  if (rounds > 1) {
    const each = (/** @type {any[]} */ list, /** @type {(r: any) => number} */ pick) =>
      list.map((r) => fmt(pick(r))).join(', ');
    console.log(
      `rounds (lines/s, 1 then 2 per round): crowdserve ${each(runs, (r) => r.jobsPerSecond)}; ` +
        `bare ${each(controls, (r) => r.linesPerSecond)}`,
    );
  }
  return {
    text: TEXT,
    image: { width: line.width, height: line.height },
    inFlight: IN_FLIGHT,
    sessionOptions: SESSION_OPTIONS,
    window,
    machine: { before: machineBefore, after: machineAfter },
    runs,
    controls,
    rows,
    ratio,
    bareRatio,
    target: TARGET,
  };
}
