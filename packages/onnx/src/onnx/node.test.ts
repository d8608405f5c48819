// Real models in real worker_threads. The workers are the built files (worker_threads cannot load
// .ts): run `npx tsc -b packages/onnx` first.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CallAbortedError, type BatchHandler, type EndpointDefinition, type HandlerContext } from '@crowdserve/server';
import { doubleModel } from '../../test-fixtures/tiny-models.js';
import { ModelLoadError } from './errors.js';
import { onnxEndpoint } from './node.js';
import type { NodeOnnxEndpointOptions } from './node.js';
import { tensor } from './tensors.js';
import type { Feeds } from './tensors.js';

const faultyWorker = new URL('../../test-fixtures/faulty-worker.mjs', import.meta.url);

/** `data`: `[numbers]` (or `[numbers, barrier]`); output `data`: `[doubled numbers]`. */
function doubleEndpoint(options: Partial<NodeOnnxEndpointOptions> = {}): EndpointDefinition {
  return onnxEndpoint({
    model: doubleModel(),
    modelName: 'double.onnx',
    batch: true,
    maxBatchSize: 8,
    preprocess: (data) => {
      const values = Float32Array.from(data[0] as number[]);
      const feeds: Feeds = { x: tensor('float32', values, [1, values.length]) };
      if (data[1] instanceof Int32Array) feeds.barrier = tensor('int32', data[1], [1]);
      return feeds;
    },
    postprocess: (outputs) => [[...(outputs.y?.data as Float32Array)]],
    ...options,
  });
}

function call(endpoint: EndpointDefinition, requests: unknown[][], signal = new AbortController().signal) {
  const context: HandlerContext = { signal, progress: () => undefined };
  return Promise.resolve((endpoint.fn as BatchHandler)(requests, context));
}

/** Two runs that both wait at this barrier can only finish if they run at the same time. */
const barrier = () => new Int32Array(new SharedArrayBuffer(4));

describe('onnxEndpoint in Node', () => {
  it('reports its load through onProgress and says once where the model runs', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const seen: unknown[] = [];
    const endpoint = doubleEndpoint({ onProgress: (progress) => seen.push(progress) });
    try {
      await endpoint.setup?.({ concurrencyCount: 3, apiName: '/double' });
      expect(seen).toEqual([0, 1, 2, 3].map((loaded) => ({ phase: 'session', loaded, total: 3 })));
      expect(info.mock.calls).toEqual([['crowdserve /double: double.onnx on onnxruntime-node (cpu), 3 worker(s)']]);
    } finally {
      info.mockRestore();
      await endpoint.dispose?.();
    }
  });

  it('loads the model in every worker, reports the provider, and answers a batch', async () => {
    const endpoint = doubleEndpoint({ warmup: [[0]] });
    const report = await endpoint.setup?.({ concurrencyCount: 2, apiName: '/double' });
    expect(report).toEqual({
      executionProvider: 'cpu',
      runtime: 'onnxruntime-node',
      executionProviderFallbacks: [],
      workers: 2,
      model: 'double.onnx',
    });
    expect(await call(endpoint, [[[1, 2, 3]], [[4, 5, 6]]])).toEqual([[[2, 4, 6]], [[8, 10, 12]]]);
    await endpoint.dispose?.();
    await expect(call(endpoint, [[[1]]])).rejects.toMatchObject({ code: 'POOL_NOT_STARTED' });
  });

  it('runs onnxruntime-web (WASM) in the workers when asked', async () => {
    const endpoint = doubleEndpoint({ runtime: 'onnxruntime-web', concurrencyLimit: 1 });
    const report = await endpoint.setup?.({ concurrencyCount: 2, apiName: '/double' });
    expect(report).toMatchObject({ executionProvider: 'wasm', runtime: 'onnxruntime-web', workers: 1 });
    expect(await call(endpoint, [[[0.5, -1]]])).toEqual([[[1, -2]]]);
    await endpoint.dispose?.();
  });

  it('rejects setup with the model named when the model is not ONNX', async () => {
    const endpoint = onnxEndpoint({
      model: Uint8Array.from({ length: 64 }, (_, i) => i),
      preprocess: () => ({}),
      postprocess: () => [],
    });
    const error = await endpoint.setup?.({ concurrencyCount: 2, apiName: '/garbage' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED', model: '(a model of 64 bytes)' });
    expect((error as Error).message).toMatch(/^could not load ONNX model \(a model of 64 bytes\): cpu: /);
  });

  it('rejects setup with the path named when the model file is missing', async () => {
    const endpoint = doubleEndpoint({ model: '/nowhere/missing.onnx', modelName: undefined, concurrencyLimit: 1 });
    await expect(endpoint.setup?.({ concurrencyCount: 1, apiName: '/missing' })).rejects.toThrow(
      /^could not load ONNX model "\/nowhere\/missing\.onnx": /,
    );
  });
});

describe('onnxEndpoint in Node: parallel workers and faults', () => {
  let endpoint: EndpointDefinition;

  beforeAll(async () => {
    endpoint = doubleEndpoint({ workerUrl: faultyWorker, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    await endpoint.setup?.({ concurrencyCount: 2, apiName: '/faulty' });
  });

  afterAll(async () => {
    await endpoint.dispose?.();
  });

  /** Both workers are alive and take calls at the same time. */
  async function expectTwoWorkersInParallel() {
    const cell = barrier();
    const results = await Promise.all([call(endpoint, [[[1], cell]]), call(endpoint, [[[2], cell]])]);
    expect(results).toEqual([[[[2]]], [[[4]]]]);
  }

  it('runs two batches in two workers at the same time', async () => {
    await expectTwoWorkersInParallel();
  });

  it('fails only the batch whose worker exits, and replaces the worker', async () => {
    const [crashed, fine] = await Promise.allSettled([call(endpoint, [[[1001]], [[1]]]), call(endpoint, [[[3]]])]);
    expect(crashed).toMatchObject({
      status: 'rejected',
      reason: { code: 'WORKER_CRASHED', message: expect.stringContaining('exited with code 3') },
    });
    expect(fine).toEqual({ status: 'fulfilled', value: [[[6]]] });
    await expectTwoWorkersInParallel();
  });

  it('fails only the batch whose run throws, and keeps serving', async () => {
    await expect(call(endpoint, [[[1003]]])).rejects.toThrow('the model refused this batch');
    expect(await call(endpoint, [[[5]]])).toEqual([[[10]]]);
  });

  it('aborts a hung run when the signal fires (the timeout), and replaces its worker', async () => {
    const error = await call(endpoint, [[[1002]]], AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'RUN_ABORTED',
      message: expect.stringContaining('aborted and its worker replaced'),
    });
    await expectTwoWorkersInParallel();
  });

  it('lets a run whose clients all left finish instead of terminating its worker (no model reload)', async () => {
    const controller = new AbortController();
    const pending = call(endpoint, [[[7]]], controller.signal);
    controller.abort(new CallAbortedError('CANCELLED', 'every client of this call left'));
    expect(await pending).toEqual([[[14]]]);
  });

  it('fails the batch of a worker that runs out of memory, and replaces the worker', async () => {
    await expect(call(endpoint, [[[1004]]])).rejects.toMatchObject({
      code: 'WORKER_CRASHED',
      message: expect.stringMatching(/memory/),
    });
    await expectTwoWorkersInParallel();
  });
});
