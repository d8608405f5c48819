export {
  createLocalServer,
  DEFAULT_LOCAL_SERVER_OPTIONS,
  type LocalDuplex,
  type LocalServer,
  type LocalServerOptions,
} from './local-server.js';
export * from '../index.js';
