import type { ApiInfo, AppConfig, InfoParameter } from '@crowdserve/protocol/base';
import { BadRequestError, describeValue, ServerError } from './errors.js';

/** One endpoint of the app, learnt from `/config` (and `/info` when the server has it). */
export interface EndpointInfo {
  /** Its position in `config.dependencies`: the `fn_index` the queue speaks. */
  fnIndex: number;
  /** `'/predict'`, or `null` for an unnamed endpoint (reachable by `fnIndex` only). */
  apiName: string | null;
  /** The server gathers requests of this endpoint into batches; each request still sends one sample. */
  batch: boolean;
  maxBatchSize: number;
  /** A crowdserve server's `maxBatchDelayMs` for it; `null` elsewhere. */
  maxBatchDelayMs: number | null;
  /** The handler streams: expect `partial` statuses. */
  generator: boolean;
  /** From `/info`; empty when the server did not describe them. */
  parameters: InfoParameter[];
  returns: InfoParameter[];
}

/** Reads a Gradio-3-shaped config once; a server that sends something else gets a `SERVER_ERROR`. */
export function readEndpoints(config: AppConfig, info: ApiInfo | null): EndpointInfo[] {
  if (typeof config !== 'object' || config === null || !Array.isArray(config.dependencies)) {
    throw new ServerError(`expected a config with dependencies[], got ${describeValue(config)}`);
  }
  return config.dependencies.map((dep, fnIndex) => {
    // Gradio writes `predict` in the config and `/predict` in /info; accept either.
    const name = typeof dep.api_name === 'string' && dep.api_name !== '' ? dep.api_name.replace(/^\/?/, '/') : null;
    const described = name === null ? info?.unnamed_endpoints?.[fnIndex] : info?.named_endpoints?.[name];
    const ours = name === null ? undefined : config.crowdserve?.endpoints?.[name];
    return {
      fnIndex,
      apiName: name,
      batch: dep.batch === true,
      maxBatchSize: typeof dep.max_batch_size === 'number' ? dep.max_batch_size : 1,
      maxBatchDelayMs: ours?.max_batch_delay_ms ?? null,
      generator: dep.types?.generator === true,
      parameters: described?.parameters ?? [],
      returns: described?.returns ?? [],
    };
  });
}

/** Finds an endpoint by api name (`'/predict'` or `'predict'`) or `fn_index`. */
export function findEndpoint(endpoints: readonly EndpointInfo[], endpoint: string | number): EndpointInfo {
  const found =
    typeof endpoint === 'number'
      ? endpoints[endpoint]
      : typeof endpoint === 'string'
        ? endpoints.find((e) => e.apiName === endpoint.replace(/^\/?/, '/'))
        : undefined;
  if (found) return found;
  const known = endpoints.map((e) => e.apiName ?? e.fnIndex).join(', ');
  throw new BadRequestError(`endpoint: expected one of ${known || '(none)'}, got ${describeValue(endpoint)}`);
}
