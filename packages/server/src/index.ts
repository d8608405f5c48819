// What endpoint definitions are made of, for packages that define endpoints (`@crowdserve/onnx`) and for
// code shared by a Node and a browser server: no Node and no DOM code behind this entry.
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
} from './endpoint.js';
export { CallAbortedError, type CallAbortCode } from './endpoint.js';
export { DEFAULT_ENDPOINT_TIMEOUT_MS } from './core/endpoints.js';
export {
  EndpointSetupError,
  LocalServerStateError,
  ServerOptionRangeError,
  ServerOptionTypeError,
  UnknownEndpointError,
  UnknownOptionError,
  type ServerErrorCode,
} from './errors.js';
export { HandlerOutputError } from './core/handler-output.js';
export { JsonTooDeepError } from './core/json-guard.js';
