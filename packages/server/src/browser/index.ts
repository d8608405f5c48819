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
