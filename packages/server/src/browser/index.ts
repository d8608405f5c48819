export {
  createLocalServer,
  DEFAULT_LOCAL_SERVER_OPTIONS,
  type LocalDuplex,
  type LocalServer,
  type LocalServerOptions,
} from './local-server.js';
export type {
  BatchEndpoint,
  BatchHandler,
  EndpointDefinition,
  EndpointHost,
  EndpointReport,
  Handler,
  HandlerContext,
  PlainEndpoint,
  ProgressUpdate,
} from '../endpoint.js';
export { CallAbortedError, type CallAbortCode } from '../endpoint.js';
export { DEFAULT_ENDPOINT_TIMEOUT_MS } from '../core/endpoints.js';
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
