export { connect, DEFAULT_CONNECT_TIMEOUT_MS, type ConnectOptions } from './connect.js';
export { DEFAULT_TRANSPORT, type TransportOption } from './dialect.js';
export type { App, SubmitOptions } from './app.js';
export type { AppFor, EndpointsLike, EndpointTypes, IoDeclaration, IoValueTypes, TypedApp } from './typed-app.js';
export type { EndpointInfo } from './endpoints.js';
export type { Job } from './job.js';
export type {
  DoneStatus,
  FailedStatus,
  JobStatus,
  PartialStatus,
  ProgressStatus,
  QueuedStatus,
  RetryingStatus,
  RunningStatus,
  TerminalStatus,
} from './status.js';
export type { ProgressUnit } from '@crowdserve/protocol/base';
export {
  BadRequestError,
  CancelledError,
  ConnectionLostError,
  CrowdserveError,
  QueueFullError,
  ServerError,
  TimeoutError,
  UnsupportedServerError,
  type ErrorCode,
  type QueueFullDetails,
} from './errors.js';
export {
  DEFAULT_BASE_DELAY_MS,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_RETRY_OPTIONS,
  MAX_RETRY_AFTER_MS,
  retryDelayMs,
  shouldRetry,
  type RetryOptions,
} from './retry-policy.js';
export {
  webSocketDuplex,
  type Duplex,
  type DuplexCloseEvent,
  type QueueTarget,
  type WebSocketConstructor,
  type WebSocketLike,
} from './transport.js';
