export { RedisLine, type JoinResult } from './redis-line.js';
export {
  LineJobExistsError,
  RedisClientMissingError,
  SharedQueueUnavailableError,
  type SharedQueueErrorCode,
} from './errors.js';
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_LEASE_MS,
  MIN_LEASE_MS,
  resolveRedisLineOptions,
  type RedisLineOptions,
} from './line-options.js';
export type { LineEvent, LineJob, LineListener, LineProcess, ProcessId } from './line-types.js';
