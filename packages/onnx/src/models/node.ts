import { readFile } from 'node:fs/promises';
import type { EndpointDefinition } from '@crowdserve/server';
import { onnxEndpoint } from '../onnx/node.js';
import type { NodeOnnxEndpointOptions } from '../onnx/node.js';
import type { ModelInput } from '../onnx/onnx-options.js';
import { beforeSetup, fileName, splitOptions, withoutUndefined } from './model-endpoint.js';
import type { ModelEndpointOptions } from './model-endpoint.js';
import { ppOcrKeysPath, ppOcrRecognizerModelPath, sileroVadModelPath } from './model-files.js';
import { OCR_OPTION_KEYS, ocrModel } from './ocr.js';
import type { OcrOptions } from './ocr.js';
import { ocrClasses } from './ocr-decode.js';
import { VAD_OPTION_KEYS, vadModel } from './vad.js';
import type { VadOptions } from './vad.js';

type NodeModelOptions = ModelEndpointOptions &
  Pick<NodeOnnxEndpointOptions, 'runtime' | 'resourceLimits' | 'workerUrl'> & {
    /** @default the file from the model's npm package */
    model?: ModelInput;
  };

export type NodeVadEndpointOptions = VadOptions & NodeModelOptions;

export interface NodeOcrEndpointOptions extends OcrOptions, NodeModelOptions {
  /** The recognizer's keys file (a path or `file:` URL), or its lines. @default `ppocr_keys_v1.txt` from this package's assets */
  dictionary?: string | URL | readonly string[];
}

/** Silero VAD v6 in worker_threads; see `vadModel` for its request and output `data`. */
export function vadEndpoint(options: NodeVadEndpointOptions = {}): EndpointDefinition {
  const { picked, rest } = splitOptions(options, VAD_OPTION_KEYS);
  const model = rest.model ?? sileroVadModelPath();
  return onnxEndpoint({
    ...vadModel(picked),
    ...withoutUndefined(rest),
    model,
    modelName: rest.modelName ?? fileName(model),
  });
}

/** PP-OCRv4's text recognizer in worker_threads; see `ocrModel` for its request and output `data`. */
export function ocrEndpoint(options: NodeOcrEndpointOptions = {}): EndpointDefinition {
  const { picked, rest } = splitOptions(options, OCR_OPTION_KEYS);
  const { dictionary = ppOcrKeysPath(), ...endpoint } = rest;
  const model = endpoint.model ?? ppOcrRecognizerModelPath();
  let classes: string[] | null = null;
  const definition = onnxEndpoint({
    ...ocrModel(() => classes ?? [], picked),
    ...withoutUndefined(endpoint),
    model,
    modelName: endpoint.modelName ?? fileName(model),
  });
  return beforeSetup(definition, async () => {
    classes = ocrClasses(Array.isArray(dictionary) ? dictionary : await readFile(dictionary as string | URL, 'utf8'));
  });
}
