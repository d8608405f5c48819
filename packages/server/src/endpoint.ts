import type { IoSpec, ProgressUnit } from '@crowdserve/protocol';

/** What a handler gets besides its data. */
export interface HandlerContext {
  /** Fires when every client of this call left, or the endpoint's timeout passed, or the server is going away. */
  signal: AbortSignal;
  /** Reports progress to the clients of this call (`progress` messages). */
  progress: (update: ProgressUpdate) => void;
  /**
   * What the endpoint's `prepare` made of each request's data, in the order of `requests` (one entry
   * for a plain handler). Set by the host when the endpoint has `prepare`; absent otherwise, and when
   * a caller runs `fn` itself.
   */
  prepared?: readonly unknown[];
}

/** A progress report: a fraction, or a count of `length` with an optional unit and description. */
export type ProgressUpdate =
  | number
  | {
      progress?: number | null;
      index?: number | null;
      length?: number | null;
      unit?: string | null;
      desc?: string | null;
    }
  | ProgressUnit[];

/** One request's `data` in, its output `data` out. An async generator streams (`process_generating`). */
export type Handler = (
  data: unknown[],
  context: HandlerContext,
) => Promise<unknown[]> | unknown[] | AsyncIterable<unknown[]>;

/** Many requests' `data` in, one output `data` per request out, same length and order. */
export type BatchHandler = (requests: unknown[][], context: HandlerContext) => Promise<unknown[][]> | unknown[][];

interface EndpointCommon {
  /** Declared inputs: shape `/config` and `/info`, and make the server check the arity of `data`. */
  inputs?: IoSpec[];
  /** Declared outputs: shape `/config` and `/info`. */
  outputs?: IoSpec[];
  /** Most slots this endpoint may hold at once. @default null (only concurrencyCount bounds it) */
  concurrencyLimit?: number | null;
  /** Expected run time of one request in ms, for ETAs before real timings exist. @default null */
  expectedDurationMs?: number | null;
  /**
   * A call running longer fails with a timeout and frees its slot; `null`: no limit.
   * @default DEFAULT_ENDPOINT_TIMEOUT_MS (5 minutes)
   */
  timeoutMs?: number | null;
  /**
   * Checks and converts one request's data as soon as it arrives, while its job still waits: with
   * data prefetch that is while an earlier batch runs, so the work leaves the slot's critical path.
   * What it returns (or resolves to) reaches `fn` as `context.prepared[i]`. A throw or rejection fails
   * that job alone, with the error's message, before it joins a batch; its neighbours never see it.
   * Its time counts toward `dataTimeoutMs`. ONNX endpoints run their `preprocess` here.
   */
  prepare?: (data: unknown[]) => unknown;
  /**
   * With `prepare`: once a request is prepared, the host lets go of its raw `data`, and `fn` gets an
   * empty array in its place (`context.prepared[i]` holds what `prepare` made of it). A waiting job
   * then holds only that: for a 1 s VAD clip, its decoded samples instead of the 85 kB base64 string,
   * which would otherwise outlive the garbage collector's young generation in every job. Set it when
   * `fn` reads only `context.prepared`. @default false
   */
  releaseData?: boolean;
  /**
   * Called once by the host before it accepts jobs (ONNX endpoints start their workers here).
   * A rejection fails `serve()` / `createLocalServer()` with the endpoint named.
   */
  setup?: (host: EndpointHost) => Promise<EndpointReport | void>;
  /** Called once when the host closes, after running calls finished. */
  dispose?: () => Promise<void>;
}

export interface PlainEndpoint extends EndpointCommon {
  fn: Handler;
  batch?: false;
}

export interface BatchEndpoint extends EndpointCommon {
  fn: BatchHandler;
  batch: true;
  /** Most requests in one batch. @default 4 */
  maxBatchSize?: number;
  /** How long a free slot may wait to fill a batch. @default 0 */
  maxBatchDelayMs?: number;
}

/** One endpoint of a server: a function (or batched function) plus how it is queued. */
export type EndpointDefinition = PlainEndpoint | BatchEndpoint;

/** What a host tells an endpoint at setup. */
export interface EndpointHost {
  /** The server's `concurrencyCount`: how many calls may run at once. */
  concurrencyCount: number;
  /** The endpoint's name (`'/predict'`). */
  apiName: string;
}

/** What an endpoint may report after setup (shown in `/config` and the playground). */
export interface EndpointReport {
  /** e.g. the ONNX execution provider in use: 'webgpu', 'wasm', 'cpu'. */
  executionProvider?: string;
  [key: string]: unknown;
}

/** Why a handler's `signal` fired. */
export type CallAbortCode = 'CANCELLED' | 'TIMEOUT' | 'SHUTDOWN';

/**
 * The `signal.reason` a handler sees: `CANCELLED` when every client of the call left (the result
 * is no longer wanted, but letting a short call finish is fine), `TIMEOUT` when the endpoint's
 * `timeoutMs` passed, `SHUTDOWN` when the server's close grace ran out.
 */
export class CallAbortedError extends Error {
  override readonly name = 'CallAbortedError';
  constructor(
    readonly code: CallAbortCode,
    message: string,
  ) {
    super(message);
  }
}
