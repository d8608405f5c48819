// @ts-check
// The floor of bench/browser-overhead.js: one Web Worker, one InferenceSession (onnxruntime-web,
// WASM), `session.run` called directly. A batch of clips steps through Silero VAD frame by frame
// with its state carried, as crowdserve's runner does, with nothing around it.
import * as ort from 'onnxruntime-web';
import { watchSessionRun } from './session-run-watch.js';

const FRAME = 576;
const STATE = 128;

/** @type {ort.InferenceSession | undefined} */
let session;
/** Timed as the timed worker times crowdserve's runner: the session.run calls alone. */
const sessionRun = watchSessionRun(ort);

/**
 * `{ type: 'ping' }` → `{ type: 'pong' }` (the thread hop alone);
 * `{ type: 'load', model }` → `{ type: 'loaded' }`;
 * `{ type: 'run', clips, steps }` (clips: each clip's frames, `[steps, 576]`, transferred) →
 * `{ type: 'result', probabilities, runMs, received, answered }` (probabilities: per clip,
 * `[steps]`, transferred; runMs: the session.run calls alone; received, answered: when the
 * message arrived and the answer left, epoch ms).
 */
self.onmessage = async (/** @type {MessageEvent} */ { data, timeStamp }) => {
  const received = performance.timeOrigin + timeStamp;
  try {
    if (data.type === 'ping') {
      self.postMessage({ type: 'pong' });
      return;
    }
    if (data.type === 'load') {
      session = await ort.InferenceSession.create(data.model, { executionProviders: ['wasm'] });
      self.postMessage({ type: 'loaded' });
      return;
    }
    if (!session) throw new Error('run before load');
    const { clips, steps } = /** @type {{ clips: Float32Array[], steps: number }} */ (data);
    const batch = clips.length;
    const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
    let state = new ort.Tensor('float32', new Float32Array(2 * batch * STATE), [2, batch, STATE]);
    // One step's input, written over at every step: session.run has read it once its promise settles.
    const input = new Float32Array(batch * FRAME);
    const probabilities = clips.map(() => new Float32Array(steps));
    // The loop's own work (tensors, copies) counts as this path's own work, as the runner's does.
    sessionRun.ms = 0;
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < batch; b++) input.set(clips[b].subarray(t * FRAME, (t + 1) * FRAME), b * FRAME);
      const out = await session.run({ input: new ort.Tensor('float32', input, [batch, FRAME]), state, sr });
      const p = /** @type {Float32Array} */ (out.output?.data);
      for (let b = 0; b < batch; b++) probabilities[b][t] = p[b];
      state = /** @type {ort.Tensor} */ (out.stateN);
    }
    const answered = performance.timeOrigin + performance.now();
    self.postMessage(
      { type: 'result', probabilities, runMs: sessionRun.ms, received, answered },
      probabilities.map((p) => p.buffer),
    );
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error) });
  }
};
