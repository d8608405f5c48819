export { serve, type Server } from './serve.js';
export { DEFAULT_DIALECTS, DEFAULT_SERVE_OPTIONS, type Dialects, type ServeOptions } from './options.js';
export { DEFAULT_REDIS_KEY, type RedisOptions } from './shared/redis-options.js';
export {
  DEFAULT_LEASE_MS,
  RedisClientMissingError,
  SharedQueueUnavailableError,
  type SharedQueueErrorCode,
} from './shared/index.js';
export * from '../index.js';
