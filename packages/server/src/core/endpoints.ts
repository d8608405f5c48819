import type { IoSpec } from '@crowdserve/protocol';
import type { EndpointOptions } from '@crowdserve/queue';
import type { EndpointDefinition } from '../endpoint.js';

/** An endpoint with its place: `fnIndex` is its position in the `endpoints` object, `apiName` its key. */
export interface ResolvedEndpoint {
  fnIndex: number;
  /** The key, with its leading slash: `'/predict'`. */
  apiName: string;
  definition: EndpointDefinition;
  /** True when `fn` is an async generator function (streams `process_generating`). */
  generator: boolean;
  queue: EndpointOptions;
}

/**
 * An endpoint's run timeout when it sets none: a handler that ignores its `signal` and never returns
 * must not hold its slot for the life of the process. Generous for model calls; `timeoutMs: null` opts out.
 * @default 300_000 (5 minutes)
 */
export const DEFAULT_ENDPOINT_TIMEOUT_MS = 300_000;

const API_NAME = /^\/[A-Za-z0-9_][A-Za-z0-9_\-/]{0,127}$/;
const IO_TYPES = new Set(['string', 'number', 'boolean', 'array', 'object', 'any']);

function checkIo(apiName: string, field: string, specs: IoSpec[] | undefined): void {
  if (specs === undefined) return;
  if (!Array.isArray(specs))
    throw new TypeError(`endpoints['${apiName}'].${field}: expected an array, got ${typeof specs}`);
  specs.forEach((spec, i) => {
    if (typeof spec?.label !== 'string' || !IO_TYPES.has(spec.type)) {
      throw new TypeError(
        `endpoints['${apiName}'].${field}[${i}]: expected { label: string, type: ${[...IO_TYPES].join('|')} }, got ${JSON.stringify(spec)}`,
      );
    }
  });
}

/** Checks the `endpoints` option once and gives each endpoint its `fn_index`. */
export function resolveEndpoints(endpoints: Record<string, EndpointDefinition>): ResolvedEndpoint[] {
  if (typeof endpoints !== 'object' || endpoints === null) {
    throw new TypeError(
      `endpoints: expected an object of { '/name': { fn } }, got ${endpoints === null ? 'null' : typeof endpoints}`,
    );
  }
  const entries = Object.entries(endpoints);
  if (entries.length === 0) throw new RangeError('endpoints: expected at least one endpoint, got none');
  return entries.map(([apiName, definition], fnIndex) => {
    if (!API_NAME.test(apiName)) {
      throw new RangeError(`endpoints: expected a name like '/predict', got '${apiName}'`);
    }
    if (typeof definition?.fn !== 'function') {
      throw new TypeError(`endpoints['${apiName}'].fn: expected a function, got ${typeof definition?.fn}`);
    }
    if (definition.prepare !== undefined && typeof definition.prepare !== 'function') {
      throw new TypeError(`endpoints['${apiName}'].prepare: expected a function, got ${typeof definition.prepare}`);
    }
    if (definition.releaseData !== undefined && typeof definition.releaseData !== 'boolean') {
      throw new TypeError(
        `endpoints['${apiName}'].releaseData: expected a boolean, got ${typeof definition.releaseData}`,
      );
    }
    checkIo(apiName, 'inputs', definition.inputs);
    checkIo(apiName, 'outputs', definition.outputs);
    const batch = definition.batch === true;
    const generator = definition.fn.constructor?.name === 'AsyncGeneratorFunction';
    if (batch && generator) throw new TypeError(`endpoints['${apiName}']: a batched endpoint cannot be a generator`);
    const queue: EndpointOptions = {
      batch,
      concurrencyLimit: definition.concurrencyLimit ?? null,
      expectedDurationMs: definition.expectedDurationMs ?? null,
      timeoutMs: definition.timeoutMs === undefined ? DEFAULT_ENDPOINT_TIMEOUT_MS : definition.timeoutMs,
    };
    if (definition.batch === true) {
      if (definition.maxBatchSize !== undefined) queue.maxBatchSize = definition.maxBatchSize;
      if (definition.maxBatchDelayMs !== undefined) queue.maxBatchDelayMs = definition.maxBatchDelayMs;
    }
    return { fnIndex, apiName, definition, generator, queue };
  });
}

/** Finds an endpoint by `'/name'`, `'name'` or `fn_index`. */
export function findEndpoint(endpoints: ResolvedEndpoint[], key: string | number): ResolvedEndpoint | undefined {
  if (typeof key === 'number') return endpoints[key];
  const name = key.startsWith('/') ? key : `/${key}`;
  return endpoints.find((e) => e.apiName === name);
}
