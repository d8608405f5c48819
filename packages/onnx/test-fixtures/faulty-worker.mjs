// A runner worker with test hooks, for the pool and endpoint fault tests. It wraps the real
// (built) runner; the first element of a batch's first `x` input picks a fault:
//   1001 exit the worker, 1002 never answer, 1003 throw, 1004 run out of memory.
// A `barrier` input (an Int32Array on shared memory) makes the run wait until two runs hold it
// at once: it proves two workers run in parallel, and is removed before the model runs.
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import * as ort from 'onnxruntime-node';
import { createRunner } from '../dist/onnx/runner.js';
import { decodeBatch } from '../dist/onnx/packed.js';

const runner = createRunner({ ort, runtime: 'onnxruntime-node' });
const hog = [];

function waitAtBarrier(cell) {
  Atomics.add(cell, 0, 1);
  Atomics.notify(cell, 0);
  const deadline = Date.now() + 10_000;
  for (let seen = Atomics.load(cell, 0); seen < 2; seen = Atomics.load(cell, 0)) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(cell, 0, seen, left) === 'timed-out') {
      throw new Error('barrier: no other run started while this one waited');
    }
  }
}

expose(
  {
    load: (model, options) => runner.load(model, options),
    dispose: () => runner.dispose(),
    runSteps: (batch, plan) => runner.runSteps(batch, plan),
    // Batches come encoded (a WireBatch): one column per input name, request 0's data first.
    run: async (batch) => {
      const barrier = decodeBatch(batch)[0]?.barrier;
      if (barrier) {
        waitAtBarrier(barrier.data);
        batch = { ...batch, columns: batch.columns.filter((column) => column.name !== 'barrier') };
      }
      switch (decodeBatch(batch)[0]?.x?.data[0]) {
        case 1001:
          process.exit(3);
          break;
        case 1002:
          return new Promise(() => {});
        case 1003:
          throw new Error('the model refused this batch');
        case 1004:
          for (;;) hog.push(new Array(1_000_000).fill(Math.random()));
      }
      return runner.run(batch);
    },
  },
  nodeEndpoint(parentPort),
);
