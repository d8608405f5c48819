// The Node entry: everything the browser entry has, with a `connect` that falls back to `ws`.
export * from './index.js';
export { connect } from './connect-node.js';
