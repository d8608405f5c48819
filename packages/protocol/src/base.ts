// The root entry without the `sse_v3` parsers (`@crowdserve/protocol/base`): what a client needs before it
// knows the dialect. esbuild splits bundles by module, so a barrel that names parse-sse.js puts it in the first load.
export type {
  ClientMessage,
  CompletedOutput,
  DataMessage,
  EstimationMessage,
  FailedOutput,
  JoinMessage,
  ProcessCompletedMessage,
  ProcessGeneratingMessage,
  ProcessStartsMessage,
  ProgressMessage,
  ProgressUnit,
  QueueFullMessage,
  SendDataMessage,
  SendHashMessage,
  ServerMessage,
  ServerMessageType,
} from './messages.js';
export { CloseCode, MAX_SESSION_HASH_LENGTH } from './messages.js';
export type {
  ApiInfo,
  AppConfig,
  ConfigComponent,
  ConfigDependency,
  ErrorResponse,
  InfoParameter,
  IoSpec,
  PredictRequest,
  PredictResponse,
} from './http.js';
export { ProtocolError, type ParseResult, type ProtocolErrorCode } from './errors.js';
export { parseApiInfo, parseAppConfig } from './parse-http.js';
export { MAX_TEXT_LENGTH, parseJson } from './fields.js';
export { assertNever, describeValue, dropUndefined, UnexpectedValueError } from './describe-value.js';
