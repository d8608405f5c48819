export * from './base.js';
export * from './sse.js';
