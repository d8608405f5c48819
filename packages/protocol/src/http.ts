/**
 * The HTTP shapes of a Gradio-3-compatible server that crowdserve serves and reads.
 * Types only; only the fields crowdserve uses are spelled out.
 */

/** A declared input or output of an endpoint. */
export interface IoSpec {
  label: string;
  /** A JSON-ish type name: 'string', 'number', 'boolean', 'array', 'object', 'any'. */
  type: string;
}

export interface ConfigDependency {
  id?: number;
  api_name: string | null;
  queue: boolean | null;
  batch: boolean;
  max_batch_size: number;
  types: { continuous: boolean; generator: boolean };
  inputs: number[];
  outputs: number[];
  targets: unknown[];
  backend_fn: boolean;
  cancels: number[];
  every: number | null;
}

export interface ConfigComponent {
  id: number;
  type: string;
  props: Record<string, unknown>;
}

/** `GET /config`. */
export interface AppConfig {
  version: string;
  mode: string;
  enable_queue: boolean;
  dependencies: ConfigDependency[];
  components: ConfigComponent[];
  /** crowdserve's own section; absent on a real Gradio server. */
  crowdserve?: {
    version: string;
    concurrency_count: number;
    max_size: number | null;
    api_open: boolean;
    /** `/queue/join` answers the 3.x WebSocket beside the `sse_v3` routes `protocol` announces. */
    websocket_queue?: boolean;
    endpoints: Record<
      string,
      {
        batch: boolean;
        max_batch_size: number;
        max_batch_delay_ms: number;
        concurrency_limit: number | null;
        /** e.g. `execution_provider` of an ONNX endpoint. */
        [key: string]: unknown;
      }
    >;
  };
  [key: string]: unknown;
}

export interface InfoParameter {
  label: string;
  type: { type: string };
  python_type: { type: string; description: string };
  component: string;
  parameter_name?: string;
  parameter_has_default?: boolean;
}

/** `GET /info`. */
export interface ApiInfo {
  named_endpoints: Record<string, { parameters: InfoParameter[]; returns: InfoParameter[] }>;
  unnamed_endpoints: Record<string, { parameters: InfoParameter[]; returns: InfoParameter[] }>;
}

/** `POST /run/{api_name}` and `POST /api/{api_name}`: request body. */
export interface PredictRequest {
  data: unknown[];
  event_data?: unknown;
  session_hash?: string;
}

/** `POST /run/{api_name}`: success. */
export interface PredictResponse {
  data: unknown[];
  is_generating: boolean;
  duration: number;
  average_duration: number;
}

/** Any HTTP error body. */
export interface ErrorResponse {
  detail: string;
  error?: string;
}
