export { serve, type Server } from './serve.js';
export { DEFAULT_SERVE_OPTIONS, type ServeOptions } from './options.js';
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
