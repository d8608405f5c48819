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
