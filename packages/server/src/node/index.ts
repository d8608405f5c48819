export { serve, type Server } from './serve.js';
export { DEFAULT_DIALECTS, DEFAULT_SERVE_OPTIONS, type Dialects, type ServeOptions } from './options.js';
export * from '../index.js';
