export { serve, type Server } from './serve.js';
export { DEFAULT_DIALECTS, DEFAULT_SERVE_OPTIONS, type Dialects, type ServeOptions } from './options.js';
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
export * from '../onnx/index.js';
export * from '../models/index.js';
export {
  DEFAULT_NODE_ORT_RUNTIME,
  defaultNodeWorkerUrl,
  onnxEndpoint,
  type NodeOnnxEndpointOptions,
} from '../onnx/node.js';
export { nodeSpawner, type NodeOrtRuntime } from '../onnx/node-spawn.js';
export { ocrEndpoint, vadEndpoint, type NodeOcrEndpointOptions, type NodeVadEndpointOptions } from '../models/node.js';
export { ppOcrKeysPath, ppOcrRecognizerModelPath, sileroVadModelPath } from '../models/model-files.js';
