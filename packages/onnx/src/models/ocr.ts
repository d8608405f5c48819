import { describeValue } from '@crowdserve/protocol';
import { OnnxOptionsError } from '../onnx/errors.js';
import type { OnnxEndpointOptions } from '../onnx/onnx-options.js';
import type { Feeds, TensorData } from '../onnx/tensors.js';
import { ctcGreedyDecode } from './ocr-decode.js';
import { DEFAULT_OCR_MAX_INPUT_PIXELS, parseRgbaImage } from './ocr-image.js';
import { DEFAULT_OCR_RESIZE_OPTIONS, ocrInputTensor } from './ocr-preprocess.js';
import type { OcrResizeOptions } from './ocr-preprocess.js';
import { withoutUndefined } from './model-endpoint.js';

/** Options of `ocrEndpoint()` besides the endpoint's own (batch, maxBatchSize, timeoutMs, …). */
export interface OcrOptions extends OcrResizeOptions {
  /** The largest input image, in pixels. @default 4000000 */
  maxInputPixels?: number;
}

export const DEFAULT_OCR_OPTIONS = {
  ...DEFAULT_OCR_RESIZE_OPTIONS,
  maxInputPixels: DEFAULT_OCR_MAX_INPUT_PIXELS,
} as const;

export const DEFAULT_OCR_ENDPOINT_OPTIONS = {
  batch: true,
  maxBatchSize: 8,
  maxBatchDelayMs: 0,
  timeoutMs: 30_000,
} as const;

export const OCR_OPTION_KEYS = ['minWidth', 'widthStep', 'maxWidth', 'maxInputPixels'] as const;

/**
 * PaddleOCR's PP-OCRv4 text recognizer as an endpoint, minus where its files are. Request
 * `data`: `[image]`, one line of text as `{ width, height, data }` (RGBA bytes, base64 over
 * JSON). Output `data`: `[text, confidence]`. `classes()` gives the decoding classes (see
 * `ocrClasses`), loaded before the endpoint takes calls.
 */
export function ocrModel(
  classes: () => readonly string[],
  options: OcrOptions = {},
): Omit<OnnxEndpointOptions, 'model'> {
  const resolved = validateOcrOptions(options);
  return {
    ...DEFAULT_OCR_ENDPOINT_OPTIONS,
    inputs: [{ label: 'image', type: 'object' }],
    outputs: [
      { label: 'text', type: 'string' },
      { label: 'confidence', type: 'number' },
    ],
    // A white line: runs the model once at its smallest shape.
    warmup: [{ width: 8, height: 8, data: new Array<number>(8 * 8 * 4).fill(255) }],
    preprocess: (data): Feeds => ({ x: ocrInputTensor(parseRgbaImage(data[0], resolved.maxInputPixels), resolved) }),
    postprocess: (outputs) => {
      const probabilities = Object.values(outputs)[0] as TensorData;
      const [, steps = 0, classCount = 0] = probabilities.dims;
      const reading = ctcGreedyDecode(probabilities.data as Float32Array, steps, classCount, classes());
      return [reading.text, reading.confidence];
    },
    // postprocess reads only the result: a waiting line holds its tensor, not its pixels' JSON.
    releaseData: true,
  };
}

function validateOcrOptions(options: OcrOptions): Required<OcrOptions> {
  const resolved = { ...DEFAULT_OCR_OPTIONS, ...withoutUndefined(options) } as Required<OcrOptions>;
  for (const key of OCR_OPTION_KEYS) {
    const v = resolved[key];
    if (!(Number.isInteger(v) && v >= 1)) {
      throw new OnnxOptionsError(`ocrEndpoint: ${key}: expected an integer ≥ 1, got ${describeValue(v)}`);
    }
  }
  return resolved;
}
