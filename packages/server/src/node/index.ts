export { serve, type Server } from './serve.js';
export { DEFAULT_SERVE_OPTIONS, type ServeOptions } from './options.js';
export * from '../index.js';
