// @ts-check
// The page of bench/browser-overhead.js (served by Vite, driven by Playwright). It times Silero
// VAD batches on WASM three ways, one batch in flight at a time, over the same clips:
//   bare   a hand-written worker (browser-overhead-bare-worker.js) calling session.run directly;
//   pool   crowdserve's pool path: vadEndpoint()'s batch handler (what the queue calls);
//   local  the whole in-page server: createLocalServer + connect(local), one job per clip.
// Every batch is one message to a worker and one answer back, on every path. Each side notes
// when those leave and arrive, and each worker adds up its time inside session.run, so a batch's
// wall time splits into: the model, the two thread hops, and the rest (the path's own work).
import { connect } from '@crowdserve/client';
import { encodeVadSamples, speechSegments, vadEndpoint, vadFrames } from '@crowdserve/onnx/browser';
import { createLocalServer } from '@crowdserve/server/browser';
import vadModelUrl from '../../node_modules/@ricky0123/vad-web/dist/silero_vad_v6.onnx?url';

const FRAME = 576;
const model = new URL(vadModelUrl, globalThis.location.href).href;
const timing = new globalThis.BroadcastChannel('browser-overhead-timing');
const now = () => performance.timeOrigin + performance.now();

/**
 * @typedef {{ sent: number[], back: number[] }} PageMarks when each message left for the worker and when its answer arrived (epoch ms)
 * @typedef {{ received: number[], runMs: number[], answered: number[] }} WorkerMarks see browser-overhead-timed-worker.js
 * @typedef {{ wall: number, run: number, hopIn: number, hopOut: number, inWorker: number }} BatchTimes ms; inWorker: from the message's arrival to the answer's leaving
 */

/** A clip of `length` samples: 250 ms tone bursts between near-silence (as in onnx-batching.js). */
function clip(/** @type {number} */ length) {
  return Float32Array.from({ length }, (_, i) => {
    const voiced = Math.floor(i / 4000) % 2 === 1;
    return (voiced ? 0.3 * Math.sin(i / 10) : 0) + 0.01 * Math.sin(i * 1.7);
  });
}

/** @type {Record<string, PageMarks>} */
const pageMarks = {};

/** crowdserve's runner worker, timed (see browser-overhead-timed-worker.js), its messages noted here too. */
const timedWorker = (/** @type {string} */ name) => () => {
  const worker = new Worker(new URL('./browser-overhead-timed-worker.js', import.meta.url), { type: 'module', name });
  const marks = (pageMarks[name] = { sent: [], back: [] });
  const post = worker.postMessage.bind(worker);
  worker.postMessage = (/** @type {any} */ message, /** @type {any} */ transfer) => {
    marks.sent.push(now());
    post(message, transfer);
  };
  worker.addEventListener('message', (event) => marks.back.push(performance.timeOrigin + event.timeStamp));
  return worker;
};

/** What the timed worker `name` and the page noted since the last read; both start afresh. */
async function readMarks(/** @type {string} */ name) {
  const worker = await /** @type {Promise<WorkerMarks>} */ (
    new Promise((resolve) => {
      const listen = (/** @type {MessageEvent} */ { data }) => {
        if (data.name !== name) return;
        timing.removeEventListener('message', listen);
        resolve(data.marks);
      };
      timing.addEventListener('message', listen);
      timing.postMessage({ read: name });
    })
  );
  const page = /** @type {PageMarks} */ (pageMarks[name]);
  const fresh = { sent: page.sent.splice(0), back: page.back.splice(0) };
  return { worker, page: fresh };
}

/** The bare worker, behind a promise per message; each answer says when it left and arrived. */
async function startBare() {
  const worker = new Worker(new URL('./browser-overhead-bare-worker.js', import.meta.url), { type: 'module' });
  /** @param {unknown} message @param {Transferable[]} [transfer] @returns {Promise<any>} */
  const ask = (message, transfer = []) =>
    new Promise((resolve, reject) => {
      const sent = now();
      worker.onmessage = ({ data, timeStamp }) =>
        data.type === 'error'
          ? reject(new Error(data.message))
          : resolve({ ...data, sent, back: performance.timeOrigin + timeStamp });
      worker.postMessage(message, transfer);
    });
  await ask({ type: 'load', model });
  return { ask, terminate: () => worker.terminate() };
}

const median = (/** @type {number[]} */ values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return /** @type {number} */ (sorted[Math.floor(sorted.length / 2)]);
};
const mean = (/** @type {number[]} */ values) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * One setting: clips of `samples` samples in batches of `batch`; `rounds` rounds in which each
 * path runs `perRound` batches in turn, so that other work on the machine weighs on each alike.
 * Each path first runs at least `warmup` batches, and batches for at least `warmupMs`.
 * @param {{ samples: number, batch: number, rounds: number, perRound: number, warmup: number, warmupMs: number }} setting
 */
async function measure({ samples, batch, rounds, perRound, warmup, warmupMs }) {
  const audio = clip(samples);
  const steps = vadFrames(audio).length / FRAME;
  const bare = await startBare();
  const context = { signal: new AbortController().signal, progress: () => undefined };
  const endpoint = vadEndpoint({
    model,
    executionProviders: ['wasm'],
    maxBatchSize: batch,
    createWorker: timedWorker('pool'),
  });
  await endpoint.setup?.({ concurrencyCount: 1, apiName: '/vad' });
  const handler =
    /** @type {(requests: unknown[][], c: typeof context & { prepared: unknown[] }) => Promise<unknown[][]>} */ (
      endpoint.fn
    );
  const prepare = /** @type {(data: unknown[]) => unknown} */ (endpoint.prepare);
  const requests = Array.from({ length: batch }, () => [audio]);
  // A batch closes when full: `batch` jobs sent together run together, however they trickle in.
  const local = createLocalServer({
    endpoints: {
      '/vad': vadEndpoint({
        model,
        executionProviders: ['wasm'],
        maxBatchSize: batch,
        maxBatchDelayMs: 1000,
        createWorker: timedWorker('local'),
      }),
    },
  });
  const app = await connect(local);
  const wire = encodeVadSamples(audio);

  /** @type {BatchTimes[]} the bare batches of the current round */
  let bareTimes = [];
  /**
   * Each path runs one batch and gives the first clip's probabilities. What a path's requests are
   * before their batch starts is made by its `ready`, untimed: each clip's frames, as the queue
   * hands them to the pool (the endpoint's `prepare` makes them when the request's data arrives,
   * and the batch handler gets them as `prepared`); the bare worker gets the same, a copy of each,
   * as the transfer empties them. Both paths do the same job with them: the clips batched frame by
   * frame through session.run, then per clip its probabilities and speech segments.
   */
  const paths = {
    bare: {
      ready: () => requests.map(() => vadFrames(audio)),
      run: async (/** @type {Float32Array[]} */ clips) => {
        // Post, session.run loop, probabilities back; the segments, as the pool's postprocess makes them.
        const called = now();
        const reply = await bare.ask(
          { type: 'run', clips, steps },
          clips.map((c) => c.buffer),
        );
        const results = reply.probabilities.map((/** @type {Float32Array} */ p) => {
          const probabilities = Array.from(p);
          return [probabilities, speechSegments(probabilities)];
        });
        bareTimes.push({
          wall: now() - called,
          run: reply.runMs,
          hopIn: reply.received - reply.sent,
          hopOut: reply.back - reply.answered,
          inWorker: reply.answered - reply.received,
        });
        return /** @type {number[]} */ (results[0]?.[0]);
      },
    },
    pool: {
      ready: () => Promise.all(requests.map((data) => prepare(data))),
      run: async (/** @type {unknown[]} */ prepared) => {
        const results = await handler(requests, { ...context, prepared });
        return /** @type {number[]} */ (results[0]?.[0]);
      },
    },
    local: {
      ready: () => undefined,
      run: async () => {
        const results = await Promise.all(Array.from({ length: batch }, () => app.predict('/vad', [wire])));
        return /** @type {number[]} */ (results[0]?.[0]);
      },
    },
  };
  const names = /** @type {(keyof typeof paths)[]} */ (Object.keys(paths));
  /** A path as `once` and `round` drive it. @param {keyof typeof paths} name */
  const pathOf = (name) =>
    /** @type {{ ready: () => unknown, run: (input: any) => Promise<number[]> }} */ (paths[name]);
  /** One batch on a path, its requests made ready first. @param {keyof typeof paths} name */
  const once = async (name) => {
    const path = pathOf(name);
    return path.run(await path.ready());
  };

  /** A round of `perRound` batches on one path, each batch's times. */
  const round = async (/** @type {keyof typeof paths} */ name) => {
    bareTimes = [];
    const walls = [];
    const path = pathOf(name);
    for (let i = 0; i < perRound; i++) {
      const input = await path.ready();
      const called = now();
      await path.run(input);
      walls.push(now() - called);
    }
    if (name === 'bare') return bareTimes;
    const { worker, page } = await readMarks(name);
    const counts = [page.sent.length, page.back.length, worker.received.length, worker.answered.length];
    if (counts.some((n) => n !== perRound)) {
      throw new Error(`${name}: expected one message each way per batch (${perRound}), got ${counts.join('/')}`);
    }
    return walls.map((wall, i) => ({
      wall,
      run: /** @type {number} */ (worker.runMs[i]),
      hopIn: /** @type {number} */ (worker.received[i]) - /** @type {number} */ (page.sent[i]),
      hopOut: /** @type {number} */ (page.back[i]) - /** @type {number} */ (worker.answered[i]),
      inWorker: /** @type {number} */ (worker.answered[i]) - /** @type {number} */ (worker.received[i]),
    }));
  };

  for (const name of names) {
    const start = performance.now();
    for (let i = 0; i < warmup || performance.now() - start < warmupMs; i++) await once(name);
  }
  await Promise.all([readMarks('pool'), readMarks('local')]);

  /** Per path, per round: the mean of each part over the round's batches. */
  const byRound = Object.fromEntries(names.map((name) => [name, /** @type {BatchTimes[]} */ ([])]));
  const hops = [];
  for (let r = 0; r < rounds; r++) {
    // The thread hop alone: an empty message to the (just used) bare worker and back.
    const pinged = now();
    await bare.ask({ type: 'ping' });
    hops.push(now() - pinged);
    for (const name of names) {
      const batches = await round(name);
      byRound[name]?.push({
        wall: mean(batches.map((b) => b.wall)),
        run: mean(batches.map((b) => b.run)),
        hopIn: mean(batches.map((b) => b.hopIn)),
        hopOut: mean(batches.map((b) => b.hopOut)),
        inWorker: mean(batches.map((b) => b.inWorker)),
      });
    }
  }

  // The same clips must give the same probabilities on every path.
  const [b, p, l] = [await once('bare'), await once('pool'), await once('local')];
  const maxDiff = Math.max(
    ...b.map((v, t) => Math.abs(v - /** @type {number} */ (p[t]))),
    ...b.map((v, t) => Math.abs(v - /** @type {number} */ (l[t]))),
  );
  const batchSizes = local.stats()?.batchSizes ?? {};
  app.close();
  await local.close();
  await endpoint.dispose?.();
  bare.terminate();

  /** The path's own work: the batch's time minus the model's and the two hops'. */
  const own = (/** @type {BatchTimes} */ t) => t.wall - t.run - t.hopIn - t.hopOut;
  const summary = Object.fromEntries(
    Object.entries(byRound).map(([name, list]) => [
      name,
      {
        wall: median(list.map((t) => t.wall)),
        run: median(list.map((t) => t.run)),
        hops: median(list.map((t) => t.hopIn + t.hopOut)),
        outsideRun: median(list.map((t) => t.wall - t.run)),
        own: median(list.map(own)),
        ownInWorker: median(list.map((t) => t.inWorker - t.run)),
        ownInPage: median(list.map((t) => own(t) - (t.inWorker - t.run))),
      },
    ]),
  );
  // Paired round by round: a path's own work minus the bare worker's, measured seconds apart.
  const adds = (/** @type {string} */ name) =>
    median((byRound[name] ?? []).map((t, i) => own(t) - own(/** @type {BatchTimes} */ (byRound.bare?.[i]))));
  return {
    samples,
    steps,
    batch,
    batches: rounds * perRound,
    pingMs: median(hops),
    paths: summary,
    poolAddsMs: adds('pool'),
    localAddsMs: adds('local'),
    maxProbabilityDifference: maxDiff,
    localBatchSizes: batchSizes,
  };
}

async function benchOverhead(/** @type {{ settings: Parameters<typeof measure>[0][] }} */ { settings }) {
  const results = [];
  for (const setting of settings) results.push(await measure(setting));
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    results,
  };
}

Object.assign(globalThis, { benchOverhead });
