export { QueueEngine, MIN_RETRY_AFTER_SECONDS, FALLBACK_RETRY_AFTER_SECONDS, OVERRUN_LOOK_MS } from './engine.js';
export { DEFAULT_QUEUE_OPTIONS, DEFAULT_ENDPOINT_OPTIONS, resolveQueueOptions } from './options.js';
export type { ResolvedEndpoint, ResolvedQueueOptions } from './options.js';
export { INVALID_OPTION, QueueOptionRangeError, QueueOptionTypeError } from './errors.js';
export { MemoryWaitingLine } from './waiting-line.js';
export type { WaitingEntry, WaitingLine, WaitingLineView } from './waiting-line.js';
export {
  ServiceTimeModel,
  SERVICE_TIME_DECAY,
  SERVICE_TIME_OUTLIER_FACTOR,
  SERVICE_TIME_WINDOW,
} from './service-time.js';
export { simulateDispatch } from './eta.js';
export type { BusySlot, EtaEndpoint, EtaInput, EtaResult } from './eta.js';
export {
  AUTO_INTERVAL_FRACTION,
  AUTO_MAX_INTERVAL_MS,
  AUTO_MIN_INTERVAL_MS,
  ETA_CHANGE_FRACTION,
  ETA_CHANGE_SECONDS,
  autoInterval,
} from './estimates.js';
export { ARRIVAL_WINDOW } from './arrivals.js';
export type {
  BatchId,
  BatchOutcome,
  Effect,
  EffectType,
  EndpointOptions,
  Estimation,
  JobId,
  JobOutcome,
  QueueOptions,
  QueueStats,
  RejectReason,
} from './types.js';
