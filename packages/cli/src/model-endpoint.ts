import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { EndpointDefinition } from '@crowdserve/server';
import type * as OnnxNode from '@crowdserve/onnx/node';
import type { Feeds, TensorType } from '@crowdserve/onnx/node';
import { CliError } from './errors.js';
import { JSON_TENSOR_TYPES, tensorFromJson, tensorToJson } from './json-tensor.js';
import { readModelSignature, type ModelSignature, type ValueSignature } from './onnx-signature.js';

/** The api name a model is served under: Gradio's for an Interface's one function. */
export const MODEL_API_NAME = '/predict';

export interface ModelEndpointOptions {
  batch: boolean;
  maxBatchSize: number;
}

/**
 * An endpoint that runs an ONNX model in worker threads (`onnxEndpoint` from `@crowdserve/onnx`).
 * Its inputs are read from the model: one `data` entry per model input, in the model's order, each a
 * nested JSON array of the input's shape (batch axis included); the outputs come back the same way.
 * With `batch`, requests are stacked along axis 0 into one run.
 */
export async function modelEndpoint(
  path: string,
  options: ModelEndpointOptions,
): Promise<{ endpoint: EndpointDefinition; signature: ModelSignature }> {
  const modelName = basename(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CliError('BAD_MODEL', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const signature = readModelSignature(bytes, modelName);
  for (const value of [...signature.inputs, ...signature.outputs]) {
    if (!JSON_TENSOR_TYPES.has(value.type)) {
      throw new CliError(
        'BAD_MODEL',
        `${modelName}: ${value.name} is a ${value.type} tensor, which JSON cannot carry; serve it from an app.js with your own preprocess`,
      );
    }
  }
  const { onnxEndpoint, ARRAY_TYPES } = await importOnnx();
  const endpoint = onnxEndpoint({
    model: bytes,
    modelName,
    inputs: signature.inputs.map((v) => ({ label: v.name, type: 'array' })),
    outputs: signature.outputs.map((v) => ({ label: v.name, type: 'array' })),
    preprocess: (data) => {
      const feeds: Record<string, Feeds[string]> = {};
      signature.inputs.forEach(
        (v, i) => (feeds[v.name] = tensorFromJson(data[i], v.type as TensorType, v.name, ARRAY_TYPES)),
      );
      return feeds;
    },
    postprocess: (result) => signature.outputs.map((v) => tensorToJson(result[v.name] as Feeds[string])),
    releaseData: true,
    batch: options.batch,
    maxBatchSize: options.maxBatchSize,
  });
  // The signature goes into the endpoint's report, so /config carries each input's shape for the page.
  const setup = endpoint.setup;
  const withSignature: EndpointDefinition = {
    ...endpoint,
    setup: async (context) => ({ ...(await setup?.(context)), signature }),
  };
  return { endpoint: withSignature, signature };
}

/** `x: float32[N, 3]`, for the startup banner. */
export function describeSignature(value: ValueSignature): string {
  return `${value.name}: ${value.type}[${value.dims.join(', ')}]`;
}

/** `@crowdserve/onnx` is an optional dependency: a server of functions does not need its 140 MB. */
async function importOnnx(): Promise<typeof OnnxNode> {
  try {
    return await import('@crowdserve/onnx/node');
  } catch (error) {
    // Only the package itself missing; a broken install of one of its dependencies keeps its own message.
    const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
    if (missing && String((error as Error).message).includes("'@crowdserve/onnx'")) {
      throw new CliError(
        'ONNX_MISSING',
        'serving an .onnx model needs @crowdserve/onnx: npm install @crowdserve/onnx (it was left out, e.g. by --omit=optional)',
        { cause: error },
      );
    }
    throw error;
  }
}
