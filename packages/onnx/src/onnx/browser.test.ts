// The browser flavour, run in Node: each "Web Worker" is a MessageChannel whose far end exposes a
// runner over onnxruntime-web in this thread, the way browser-worker.js does in a real worker.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expose } from 'comlink';
import * as ortWeb from 'onnxruntime-web';
import type { BatchHandler, EndpointDefinition, Handler } from '@crowdserve/server';
import { doubleModel } from '../../test-fixtures/tiny-models.js';
import { onnxEndpoint } from './browser.js';
import { createRunner } from './runner.js';
import type { OrtModule, RunnerApi } from './runner.js';
import { tensor } from './tensors.js';
import { requestWebGpuAdapter } from './webgpu.js';

ortWeb.env.wasm.numThreads = 1;

/** A stand-in for `Worker`: messages go through a MessageChannel to a runner in this thread. */
class FakeWorker extends EventTarget {
  readonly #port: MessagePort;
  terminated = false;

  constructor(api: RunnerApi) {
    super();
    const { port1, port2 } = new MessageChannel();
    expose(api, port2);
    port1.addEventListener('message', (event) => this.dispatchEvent(new MessageEvent('message', { data: event.data })));
    port1.start();
    this.#port = port1;
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    this.#port.postMessage(message, transfer);
  }

  terminate(): void {
    this.terminated = true;
    this.#port.close();
  }

  /** What a browser does when a worker throws at top level. */
  fail(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message }));
  }
}

const webRunner = () =>
  createRunner({
    ort: ortWeb as unknown as OrtModule,
    runtime: 'onnxruntime-web',
    isAvailable: async (ep) => ep !== 'webgpu' || (await requestWebGpuAdapter()) !== null,
  });

function doubleEndpoint(createWorker: () => FakeWorker): EndpointDefinition {
  return onnxEndpoint({
    model: doubleModel(),
    modelName: 'double.onnx',
    batch: true,
    createWorker: createWorker as unknown as () => Worker,
    preprocess: (data) => ({
      x: tensor('float32', Float32Array.from(data[0] as number[]), [1, (data[0] as number[]).length]),
    }),
    postprocess: (outputs) => [[...(outputs.y?.data as Float32Array)]],
  });
}

const call = (endpoint: EndpointDefinition, requests: unknown[][]) =>
  (endpoint.fn as BatchHandler)(requests, { signal: new AbortController().signal, progress: () => undefined });

describe('onnxEndpoint in the browser', () => {
  const workers: FakeWorker[] = [];
  afterAll(() => workers.forEach((w) => w.terminate()));

  it('falls back from WebGPU to WASM where there is no adapter, and says so', async () => {
    const endpoint = doubleEndpoint(() => {
      const worker = new FakeWorker(webRunner());
      workers.push(worker);
      return worker;
    });
    const report = await endpoint.setup?.({ concurrencyCount: 2, apiName: '/double' });
    expect(report).toEqual({
      executionProvider: 'wasm',
      runtime: 'onnxruntime-web',
      executionProviderFallbacks: ['webgpu: not available here'],
      workers: 2,
      model: 'double.onnx',
    });
    expect(await call(endpoint, [[[1, 2]], [[3, 4]]])).toEqual([[[2, 4]], [[6, 8]]]);
    await endpoint.dispose?.();
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it('fails the batch of a worker that errors, and starts another in its place', async () => {
    const spawned: FakeWorker[] = [];
    let hung = false;
    const endpoint = doubleEndpoint(() => {
      const runner = webRunner();
      // The first worker never answers a run: the test makes it fail while it runs.
      const hang = () => ((hung = true), new Promise<never>(() => undefined));
      const api: RunnerApi = spawned.length === 0 ? { ...runner, run: hang } : runner;
      const worker = new FakeWorker(api);
      spawned.push(worker);
      workers.push(worker);
      return worker;
    });
    await endpoint.setup?.({ concurrencyCount: 1, apiName: '/double' });
    const doomed = call(endpoint, [[[1]]]);
    await vi.waitFor(() => expect(hung).toBe(true));
    spawned[0]?.fail('Uncaught RangeError: out of memory');
    await expect(doomed).rejects.toMatchObject({
      code: 'WORKER_CRASHED',
      message: expect.stringContaining('Uncaught RangeError: out of memory'),
    });
    expect(await call(endpoint, [[[5]]])).toEqual([[[10]]]);
    expect(spawned).toHaveLength(2);
    expect(spawned[0]?.terminated).toBe(true);
    await endpoint.dispose?.();
  });
});

describe('onnxEndpoint without batching', () => {
  it('takes one request’s data and returns its output data, and sets up only once', async () => {
    const endpoint = onnxEndpoint({
      model: doubleModel(),
      createWorker: () => new FakeWorker(webRunner()) as unknown as Worker,
      preprocess: (data) => ({ x: tensor('float32', Float32Array.from(data as number[]), [1, data.length]) }),
      postprocess: (outputs) => [...(outputs.y?.data as Float32Array)],
    });
    expect(endpoint.batch).toBeUndefined();
    await endpoint.setup?.({ concurrencyCount: 1, apiName: '/plain' });
    await expect(endpoint.setup?.({ concurrencyCount: 1, apiName: '/plain' })).rejects.toThrow(
      '/plain was already set up',
    );
    const output = await (endpoint.fn as Handler)([1, 2, 3], {
      signal: new AbortController().signal,
      progress: () => undefined,
    });
    expect(output).toEqual([2, 4, 6]);
    await endpoint.dispose?.();
  });
});

describe('requestWebGpuAdapter', () => {
  it('asks a second time when the first answer is null', async () => {
    const answers: (object | null)[] = [null, { name: 'adapter' }];
    const gpu = { requestAdapter: async () => answers.shift() ?? null };
    expect(await requestWebGpuAdapter(gpu)).toEqual({ name: 'adapter' });
  });

  it('gives null without WebGPU, or when both requests fail', async () => {
    expect(await requestWebGpuAdapter(undefined)).toBeNull();
    let asked = 0;
    const failing = {
      requestAdapter: async () => {
        asked++;
        throw new Error('no GPU process');
      },
    };
    expect(await requestWebGpuAdapter(failing)).toBeNull();
    expect(asked).toBe(2);
  });
});
