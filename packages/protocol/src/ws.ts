// The 3.x WebSocket dialect's message parsers, as their own entry (`@crowdserve/protocol/ws`): a client that
// loads its WebSocket transport lazily imports them from here, so a bundler keeps them out of the first load.
export { parseDataMessage, parseJoinMessage, parseServerMessage } from './parse.js';
