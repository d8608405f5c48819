// @ts-check
// How long a worker spends inside onnxruntime-web's `session.run`, timed the same way on every
// path of bench/browser-overhead.js: from the call (its feeds already made) to the settling of
// the promise it returns. The same promise goes back to the caller, watched: a reaction added
// before the caller's runs first, and the caller's chain gets no extra step (an async wrapper
// would add one per call).

/**
 * Patches `ort.InferenceSession.prototype.run` to add up its time.
 * @param {typeof import('onnxruntime-web')} ort
 * @returns {{ ms: number }} the ms added up so far; set `ms` to 0 to start again
 */
export function watchSessionRun(ort) {
  const total = { ms: 0 };
  const run = ort.InferenceSession.prototype.run;
  ort.InferenceSession.prototype.run = function (...args) {
    const started = performance.now();
    const result = run.apply(this, /** @type {any} */ (args));
    const done = () => {
      total.ms += performance.now() - started;
    };
    result.then(done, done);
    return result;
  };
  return total;
}
