export * from '../onnx/index.js';
export * from '../models/index.js';
export { createRunnerWorker, onnxEndpoint, type BrowserOnnxEndpointOptions } from '../onnx/browser.js';
export { browserSpawner } from '../onnx/browser-spawn.js';
export { requestWebGpuAdapter } from '../onnx/webgpu.js';
export {
  ocrEndpoint,
  vadEndpoint,
  type BrowserOcrEndpointOptions,
  type BrowserVadEndpointOptions,
} from '../models/browser.js';
