import { describeValue } from '@crowdserve/protocol';
import { InputError } from '../onnx/errors.js';
import { decodeBase64 } from './base64.js';

/** An image as RGBA bytes, row by row (what a canvas's `getImageData()` gives). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** The largest image the OCR endpoint accepts, in pixels. */
export const DEFAULT_OCR_MAX_INPUT_PIXELS = 4_000_000;

/**
 * Reads an OCR request's image: `{ width, height, data }` with `data` the RGBA bytes as base64
 * (over JSON), or as a Uint8Array / Uint8ClampedArray / array of numbers (in the browser).
 */
export function parseRgbaImage(value: unknown, maxPixels: number = DEFAULT_OCR_MAX_INPUT_PIXELS): RgbaImage {
  if (typeof value !== 'object' || value === null) {
    throw new InputError(`OCR: expected an image { width, height, data }, got ${describeValue(value)}`);
  }
  const { width, height, data } = value as Record<string, unknown>;
  for (const [name, side] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!(Number.isInteger(side) && (side as number) >= 1)) {
      throw new InputError(`OCR: image ${name}: expected an integer ≥ 1, got ${describeValue(side)}`);
    }
  }
  const pixels = (width as number) * (height as number);
  if (pixels > maxPixels) throw new InputError(`OCR: expected an image of at most ${maxPixels} pixels, got ${pixels}`);
  const bytes = toBytes(data);
  if (bytes.length !== pixels * 4) {
    throw new InputError(`OCR: a ${width}×${height} RGBA image has ${pixels * 4} bytes, got ${bytes.length}`);
  }
  return { width: width as number, height: height as number, data: bytes };
}

function toBytes(data: unknown): Uint8Array | Uint8ClampedArray {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return data;
  if (typeof data === 'string') {
    const bytes = decodeBase64(data);
    if (bytes === null)
      throw new InputError('OCR: image data: expected base64 RGBA bytes, got a string that is not base64');
    return bytes;
  }
  if (Array.isArray(data)) {
    const bytes = new Uint8Array(data.length);
    data.forEach((v: unknown, i) => {
      if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255)) {
        throw new InputError(`OCR: image data[${i}]: expected a byte (0–255), got ${describeValue(v)}`);
      }
      bytes[i] = v as number;
    });
    return bytes;
  }
  throw new InputError(`OCR: image data: expected base64 RGBA bytes, got ${describeValue(data)}`);
}
