// A runner in a Web Worker: onnxruntime-web, WebGPU when an adapter exists, else WASM.
import * as ort from 'onnxruntime-web';
import { expose } from 'comlink';
import { createRunner } from './runner.js';
import type { OrtModule } from './runner.js';
import { requestWebGpuAdapter } from './webgpu.js';

expose(
  createRunner({
    ort: ort as unknown as OrtModule,
    runtime: 'onnxruntime-web',
    // The page fetched it once for every worker: ORT then neither fetches nor stream-compiles it again.
    useWasmBinary: (bytes) => (ort.env.wasm.wasmBinary = bytes),
    isAvailable: async (executionProvider) => {
      if (executionProvider !== 'webgpu') return true;
      const adapter = await requestWebGpuAdapter();
      // Hand ORT the adapter we found, so it does not ask again (and get null) on its own.
      if (adapter) ort.env.webgpu.adapter = adapter as typeof ort.env.webgpu.adapter;
      return adapter !== null;
    },
  }),
);
