export * from './base.js';
export * from './ws.js';
export * from './sse.js';
