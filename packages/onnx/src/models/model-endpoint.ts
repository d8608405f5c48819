import type { EndpointDefinition, EndpointHost, EndpointReport } from '@crowdserve/server';
import type { ModelInput, OnnxEndpointOptions } from '../onnx/onnx-options.js';

/** The endpoint options a model factory (`vadEndpoint`, `ocrEndpoint`) passes through to `onnxEndpoint`. */
export type ModelEndpointOptions = Pick<
  OnnxEndpointOptions,
  | 'batch'
  | 'maxBatchSize'
  | 'maxBatchDelayMs'
  | 'timeoutMs'
  | 'concurrencyLimit'
  | 'expectedDurationMs'
  | 'executionProviders'
  | 'sessionOptions'
  | 'modelName'
  | 'onProgress'
>;

/** Splits an options object into the keys listed and the rest. */
export function splitOptions<T extends object, K extends keyof T>(
  options: T,
  keys: readonly K[],
): { picked: Pick<T, K>; rest: Omit<T, K> } {
  const picked = {} as Pick<T, K>;
  const rest = { ...options } as T;
  for (const key of keys) {
    if (key in options) picked[key] = options[key];
    delete rest[key];
  }
  return { picked, rest };
}

/** The same endpoint, with `before` run at setup before the model loads (to read a dictionary, say). */
export function beforeSetup(definition: EndpointDefinition, before: () => Promise<void>): EndpointDefinition {
  const setup = definition.setup;
  return {
    ...definition,
    setup: async (host: EndpointHost): Promise<EndpointReport | void> => {
      await before();
      return setup?.(host);
    },
  };
}

/** A model file's display name: its last path segment. */
export function fileName(model: ModelInput): string | undefined {
  if (typeof model !== 'string' && !(model instanceof URL)) return undefined;
  const path = model instanceof URL ? model.pathname : model;
  return path.split(/[\\/]/).at(-1) || undefined;
}

/** The options given a value: `{ a: undefined }` takes the defaults as if `a` were absent. */
export function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
