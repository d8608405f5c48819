import type { EndpointDefinition } from '@crowdserve/server';
import { onnxEndpoint } from '../onnx/browser.js';
import type { BrowserOnnxEndpointOptions } from '../onnx/browser.js';
import type { ModelInput } from '../onnx/onnx-options.js';
import { beforeSetup, fileName, splitOptions, withoutUndefined } from './model-endpoint.js';
import type { ModelEndpointOptions } from './model-endpoint.js';
import { OCR_OPTION_KEYS, ocrModel } from './ocr.js';
import type { OcrOptions } from './ocr.js';
import { ocrClasses } from './ocr-decode.js';
import { VAD_OPTION_KEYS, vadModel } from './vad.js';
import type { VadOptions } from './vad.js';

type BrowserModelOptions = ModelEndpointOptions &
  Pick<BrowserOnnxEndpointOptions, 'createWorker' | 'wasm'> & {
    /** The model's URL (e.g. `new URL('…/silero_vad_v6.onnx', import.meta.url)` for the bundler to copy) or bytes. */
    model: ModelInput;
  };

export type BrowserVadEndpointOptions = VadOptions & BrowserModelOptions;

export interface BrowserOcrEndpointOptions extends OcrOptions, BrowserModelOptions {
  /** The URL of the recognizer's keys file (`ppocr_keys_v1.txt`), fetched at setup, or its lines. */
  dictionary: string | URL | readonly string[];
}

/** Silero VAD v6 in Web Workers; see `vadModel` for its request and output `data`. */
export function vadEndpoint(options: BrowserVadEndpointOptions): EndpointDefinition {
  const { picked, rest } = splitOptions(options, VAD_OPTION_KEYS);
  return onnxEndpoint({
    ...vadModel(picked),
    ...withoutUndefined(rest),
    model: rest.model,
    modelName: rest.modelName ?? fileName(rest.model),
  });
}

/** PP-OCRv4's text recognizer in Web Workers; see `ocrModel` for its request and output `data`. */
export function ocrEndpoint(options: BrowserOcrEndpointOptions): EndpointDefinition {
  const { picked, rest } = splitOptions(options, OCR_OPTION_KEYS);
  const { dictionary, ...endpoint } = rest;
  let classes: string[] | null = null;
  const definition = onnxEndpoint({
    ...ocrModel(() => classes ?? [], picked),
    ...withoutUndefined(endpoint),
    model: endpoint.model,
    modelName: endpoint.modelName ?? fileName(endpoint.model),
  });
  return beforeSetup(definition, async () => {
    classes = ocrClasses(Array.isArray(dictionary) ? dictionary : await fetchText(dictionary as string | URL));
  });
}

async function fetchText(url: string | URL): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch the OCR dictionary ${String(url)}: HTTP ${response.status}`);
  return response.text();
}
