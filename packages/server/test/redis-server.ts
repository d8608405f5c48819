// The shared-queue tests' real redis-server: one launcher for tests and bench (tools/redis-server/).
export { startRedisServer, type RedisServer } from '../../../tools/redis-server/redis-server.js';
