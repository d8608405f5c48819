import type { IoSpec } from '@crowdserve/protocol';
import type { EndpointOptions } from '@crowdserve/queue';
import type { EndpointDefinition } from '../endpoint.js';
import { rejectUnknownOptions, ServerOptionRangeError, ServerOptionTypeError } from '../errors.js';

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

/** Every key an endpoint definition may have (`PlainEndpoint` and `BatchEndpoint`); any other is an error. */
const ENDPOINT_OPTION_NAMES: readonly string[] = [
  'fn',
  'batch',
  'maxBatchSize',
  'maxBatchDelayMs',
  'inputs',
  'outputs',
  'concurrencyLimit',
  'expectedDurationMs',
  'timeoutMs',
  'prepare',
  'releaseData',
  'setup',
  'dispose',
];

const API_NAME = /^\/[A-Za-z0-9_][A-Za-z0-9_\-/]{0,127}$/;
const IO_TYPES = new Set(['string', 'number', 'boolean', 'array', 'object', 'any']);

function checkIo(apiName: string, field: string, specs: IoSpec[] | undefined): void {
  if (specs === undefined) return;
  if (!Array.isArray(specs)) throw new ServerOptionTypeError(`endpoints['${apiName}'].${field}`, 'an array', specs);
  specs.forEach((spec, i) => {
    if (typeof spec?.label !== 'string' || !IO_TYPES.has(spec.type)) {
      throw new ServerOptionTypeError(
        `endpoints['${apiName}'].${field}[${i}]`,
        `{ label: string, type: ${[...IO_TYPES].join('|')} }`,
        spec,
      );
    }
  });
}

/** Checks the `endpoints` option once and gives each endpoint its `fn_index`. */
export function resolveEndpoints(endpoints: Record<string, EndpointDefinition>): ResolvedEndpoint[] {
  if (typeof endpoints !== 'object' || endpoints === null) {
    throw new ServerOptionTypeError('endpoints', "an object of { '/name': { fn } }", endpoints);
  }
  const entries = Object.entries(endpoints);
  if (entries.length === 0) throw new ServerOptionRangeError('endpoints', 'at least one endpoint', { said: 'none' });
  return entries.map(([apiName, definition], fnIndex) => {
    if (!API_NAME.test(apiName)) {
      throw new ServerOptionRangeError('endpoints', "a name like '/predict'", apiName);
    }
    if (typeof definition !== 'object' || definition === null) {
      throw new ServerOptionTypeError(`endpoints['${apiName}']`, '{ fn, … }', definition);
    }
    rejectUnknownOptions(`endpoints['${apiName}']`, definition, ENDPOINT_OPTION_NAMES);
    if (typeof definition.fn !== 'function') {
      throw new ServerOptionTypeError(`endpoints['${apiName}'].fn`, 'a function', definition.fn);
    }
    if (definition.prepare !== undefined && typeof definition.prepare !== 'function') {
      throw new ServerOptionTypeError(`endpoints['${apiName}'].prepare`, 'a function', definition.prepare);
    }
    if (definition.releaseData !== undefined && typeof definition.releaseData !== 'boolean') {
      throw new ServerOptionTypeError(`endpoints['${apiName}'].releaseData`, 'a boolean', definition.releaseData);
    }
    checkIo(apiName, 'inputs', definition.inputs);
    checkIo(apiName, 'outputs', definition.outputs);
    const batch = definition.batch === true;
    const generator = definition.fn.constructor?.name === 'AsyncGeneratorFunction';
    if (batch && generator) {
      throw new ServerOptionTypeError(
        `endpoints['${apiName}'].fn`,
        'a function (a batched endpoint cannot be a generator)',
        'an async generator function',
      );
    }
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
