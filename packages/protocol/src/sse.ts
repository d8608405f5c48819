// The `sse_v3` half of the protocol, as its own entry (`@crowdserve/protocol/sse`): a client that loads its
// sse_v3 transport lazily imports its parser from here, so a bundler keeps it out of the first load.
export type {
  SseCloseStreamMessage,
  SseDiffEdit,
  SseEventMessage,
  SseHeartbeatMessage,
  SseJoinRefusal,
  SseJoinRequest,
  SseJoinResponse,
  SseServerMessage,
  SseUnexpectedErrorMessage,
} from './sse-messages.js';
export { MAX_EVENT_ID_LENGTH, parseSseJoinRefusal, parseSseJoinResponse, parseSseMessage } from './parse-sse.js';
