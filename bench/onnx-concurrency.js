// @ts-check
// Issue 4 (b): concurrencyCount 1 vs 2 on a CPU-bound model, the PP-OCRv4 recognizer, through the
// queue. One ORT thread per worker (intraOpNumThreads 1), so two workers mean two cores at work and
// one worker means one. Batching is off, so the only difference is the number of workers.
//
// Requests go over `POST /run/ocr`: the data comes with the request. Over the queue socket a
// job's data is asked for only once it is picked, and a second slot would hide that round trip:
// the gain would be partly latency hiding, not a second core.
import { serverDelta, startOnnxServer } from './lib/onnx-child.js';
import { httpJob, predict, saturate } from './lib/load.js';
import { machineLoad } from './lib/machine.js';
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
  const window = quick ? { warmupMs: 1000, measureMs: 4000 } : { warmupMs: 2000, measureMs: 12_000 };
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
  for (let round = 0; round < rounds; round++) {
    for (const concurrencyCount of [1, 2]) runs.push(await run(concurrencyCount, line, window));
  }
  const machineAfter = machineLoad();
  for (const r of runs) {
    if (r.read !== TEXT) console.log(`note: concurrencyCount ${r.concurrencyCount} read ${JSON.stringify(r.read)}`);
  }
  const mean = (/** @type {number} */ c, /** @type {(r: (typeof runs)[number]) => number} */ f) => {
    const these = runs.filter((r) => r.concurrencyCount === c);
    return these.reduce((sum, r) => sum + f(r), 0) / these.length;
  };
  const rows = [1, 2].map((c) => ({
    concurrencyCount: c,
    jobsPerSecond: mean(c, (r) => r.jobsPerSecond),
    cores: mean(c, (r) => r.server.cores),
    cpuPerJobMs: mean(c, (r) => r.server.serverCpuPerJobMs),
    handlerMs: mean(c, (r) => r.server.handlerPerBatchMs),
    p50: mean(c, (r) => r.p50),
  }));
  const [one, two] = /** @type {[(typeof rows)[number], (typeof rows)[number]]} */ (rows);
  const ratio = two.jobsPerSecond / one.jobsPerSecond;
  table(
    [
      'concurrencyCount',
      'lines/s',
      'server cores',
      'server CPU ms/line',
      'handler ms/line',
      'p50 ms',
      'ratio',
      'target',
      'ok',
    ],
    rows.map((r) => [
      String(r.concurrencyCount),
      fmt(r.jobsPerSecond),
      fmt(r.cores),
      fmt(r.cpuPerJobMs, 1),
      fmt(r.handlerMs, 1),
      fmt(r.p50, 0),
      r === two ? fmt(ratio) : '',
      r === two ? `≥ ${TARGET}` : '',
      r === two ? (ratio >= TARGET ? 'yes' : 'NO') : '',
    ]),
  );
  if (two.cores < 1.8) {
    console.log(
      `note: the server's threads got ${fmt(two.cores)} cores for 2 workers (other work holds the rest): ` +
        `the ratio measures the machine more than the pool. CPU per line, 1 worker ${fmt(one.cpuPerJobMs, 0)} ms, ` +
        `2 workers ${fmt(two.cpuPerJobMs, 0)} ms.`,
    );
  }
  if (rounds > 1) {
    console.log(`rounds (lines/s, 1 then 2): ${runs.map((r) => fmt(r.jobsPerSecond)).join(', ')}`);
  }
  return {
    text: TEXT,
    image: { width: line.width, height: line.height },
    inFlight: IN_FLIGHT,
    sessionOptions: SESSION_OPTIONS,
    window,
    machine: { before: machineBefore, after: machineAfter },
    runs,
    rows,
    ratio,
    target: TARGET,
  };
}
