// The CLI's pieces, for who wants to start it from code (a launcher, a test).
export { DEFAULT_SERVE_FLAGS, parseCommand, type Command, type ServeFlags } from './args.js';
export { CliError, type CliErrorCode } from './errors.js';
export { HELP } from './help.js';
export { JSON_TENSOR_TYPES, TensorInputError, tensorFromJson, tensorToJson } from './json-tensor.js';
export { loadApp, withMaxBatchSize, type AppEndpoints } from './load-app.js';
export { CLOSE_GRACE_MS, EXIT_DEADLINE_MS, main, startServer, version, type Output } from './main.js';
export { MODEL_API_NAME, describeSignature, modelEndpoint, type ModelEndpointOptions } from './model-endpoint.js';
export { readModelSignature, type ModelSignature, type ValueSignature } from './onnx-signature.js';
