// The environment-agnostic ONNX pieces: safe for the browser and Node. The flavours with workers
// are `./node.js` (worker_threads) and `./browser.js` (Web Workers).
export { createOnnxEndpoint, type OnnxEndpointReport, type OnnxPlatform } from './onnx-endpoint.js';
export { fetchWithProgress, type LoadProgress, type OnLoadProgress } from './load-progress.js';
export {
  BROWSER_DEFAULT_EXECUTION_PROVIDERS,
  DEFAULT_ORT_LOG_SEVERITY_LEVEL,
  DEFAULT_ONNX_ENDPOINT_OPTIONS,
  NODE_DEFAULT_EXECUTION_PROVIDERS,
  modelLabel,
  validateOnnxOptions,
  type ModelInput,
  type OnnxEndpointOptions,
  type OnnxSession,
} from './onnx-options.js';
export {
  createRunner,
  type LoadReport,
  type ModelSource,
  type OrtModule,
  type OrtSession,
  type OrtTensor,
  type RunnerApi,
  type RunnerDependencies,
  type RunnerLoadOptions,
  type SessionOptions,
} from './runner.js';
export { type StepAxes, type StepPlan } from './step-plan.js';
export { runSteps } from './steps.js';
export { LayoutScratch } from './step-layout.js';
export {
  SEND_WHOLE_BYTES,
  decodeBatch,
  encodeBatch,
  feedsRunner,
  type EncodedBatch,
  type WireBatch,
  type WireColumn,
  type WireRunner,
} from './packed.js';
export { groupByShape, splitOutputs, stackFeeds, type Stacked } from './stack-feeds.js';
export { transferablesOf } from './tensor-arrays.js';
export {
  ARRAY_TYPES,
  tensor,
  type BatchAxes,
  type Feeds,
  type TensorArray,
  type TensorData,
  type TensorType,
} from './tensors.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  WorkerPool,
  type SpawnWorker,
  type WorkerHandle,
  type WorkerPoolOptions,
} from './worker-pool.js';
export {
  InputError,
  ModelLoadError,
  OnnxOptionsError,
  TensorError,
  WorkerError,
  type ModelLoadErrorCode,
  type TensorErrorCode,
  type WorkerErrorCode,
} from './errors.js';
