import type { ServerMessage } from '@crowdserve/protocol';
import type { BatchOutcome } from '@crowdserve/queue';
import type { BatchHandler, Handler, HandlerContext } from '../endpoint.js';
import type { ResolvedEndpoint } from './endpoints.js';
import { checkBatchOutput, checkOutput, errorMessage, isAsyncIterable, toProgressData } from './handler-output.js';

export interface RunningBatch {
  controller: AbortController;
}

export interface RunBatchOptions {
  endpoint: ResolvedEndpoint;
  /** Each member's `data`, in batch order. */
  requests: unknown[][];
  /** What the endpoint's `prepare` made of each member's data, in batch order; absent without `prepare`. */
  prepared?: unknown[];
  expectedDuration: number | null;
  /** Sends a message to the member at `index` (if it is still there). */
  send: (index: number, message: ServerMessage) => void;
  /** Called exactly once with the batch's outcome; never throws into the caller. */
  done: (outcome: BatchOutcome) => void;
}

/**
 * Runs one batch's handler: `process_starts` to every member, progress and generator yields as
 * they come, then exactly one `done`. A throw, a bad return value or a rejected promise becomes an
 * error outcome carrying the message only, never a stack.
 */
export function runBatch(options: RunBatchOptions): RunningBatch {
  const { endpoint, requests, send } = options;
  const controller = new AbortController();
  const each = (message: ServerMessage) => requests.forEach((_, i) => send(i, message));
  const context: HandlerContext = {
    signal: controller.signal,
    progress: (update) => {
      if (!controller.signal.aborted) each({ msg: 'progress', progress_data: toProgressData(update) });
    },
  };
  if (options.prepared !== undefined) context.prepared = options.prepared;
  each({ msg: 'process_starts', eta: options.expectedDuration });
  call(endpoint, requests, context, send).then(
    (results) => options.done({ ok: true, results }),
    (error: unknown) => options.done({ ok: false, error: errorMessage(error) }),
  );
  return { controller };
}

async function call(
  endpoint: ResolvedEndpoint,
  requests: unknown[][],
  context: HandlerContext,
  send: RunBatchOptions['send'],
): Promise<unknown[]> {
  const { definition, apiName } = endpoint;
  if (definition.batch === true) {
    const output = await (definition.fn as BatchHandler)(requests, context);
    return checkBatchOutput(output, requests.length, apiName);
  }
  const output = (definition.fn as Handler)(requests[0] ?? [], context);
  if (!isAsyncIterable(output)) return [checkOutput(await output, apiName)];
  // A generator streams: each yield is a partial result, the last one is the final output.
  let last: unknown[] = [];
  for await (const chunk of output) {
    if (context.signal.aborted) break;
    last = checkOutput(chunk, apiName);
    send(0, { msg: 'process_generating', output: { data: last, is_generating: true }, success: true });
  }
  return [last];
}
