import { tensor } from '../onnx/tensors.js';
import type { TensorData } from '../onnx/tensors.js';
import type { RgbaImage } from './ocr-image.js';

/** The recognizer's input height. */
export const OCR_INPUT_HEIGHT = 48;

export interface OcrResizeOptions {
  /** Narrower lines are padded to this width (PaddleOCR's 320 for a 48-pixel height). @default 320 */
  minWidth?: number;
  /**
   * Padded widths are multiples of this, so that lines of similar width share a shape and stack
   * into one run; lines of another width run apart, never padded to their batch's widest, so a
   * line reads the same alone or batched. @default 160
   */
  widthStep?: number;
  /** Wider lines (after scaling to height 48) are squeezed to this width. @default 1600 */
  maxWidth?: number;
}

export const DEFAULT_OCR_RESIZE_OPTIONS = {
  minWidth: 320,
  widthStep: 160,
  maxWidth: 1600,
} as const;

/**
 * An image of one line of text as the recognizer's input `[1, 3, 48, W]`: composited over white,
 * resized (bilinear) to height 48 keeping its aspect, BGR channels (PaddleOCR reads images with
 * OpenCV), normalised to (x / 255 - 0.5) / 0.5, and padded on the right with zeros to W.
 */
export function ocrInputTensor(image: RgbaImage, options: OcrResizeOptions = {}): TensorData {
  const { minWidth, widthStep, maxWidth } = { ...DEFAULT_OCR_RESIZE_OPTIONS, ...options };
  const height = OCR_INPUT_HEIGHT;
  const width = Math.min(maxWidth, Math.max(1, Math.round((image.width * height) / image.height)));
  const padded = Math.min(Math.max(minWidth, Math.ceil(width / widthStep) * widthStep), Math.max(maxWidth, minWidth));
  const out = new Float32Array(3 * height * padded);
  const plane = height * padded;
  const scaleX = image.width / width;
  const scaleY = image.height / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), image.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), image.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const fx = sx - x0;
      const a = whiteRgb(image, x0, y0);
      const b = whiteRgb(image, x1, y0);
      const c = whiteRgb(image, x0, y1);
      const d = whiteRgb(image, x1, y1);
      for (let ch = 0; ch < 3; ch++) {
        const top = (a[ch] as number) * (1 - fx) + (b[ch] as number) * fx;
        const bottom = (c[ch] as number) * (1 - fx) + (d[ch] as number) * fx;
        const value = top * (1 - fy) + bottom * fy;
        // Channel 0 is blue: BGR order.
        out[(2 - ch) * plane + y * padded + x] = (value / 255 - 0.5) / 0.5;
      }
    }
  }
  return tensor('float32', out, [1, 3, height, padded]);
}

/** A pixel's RGB composited over white: a transparent canvas reads as white paper, not black. */
function whiteRgb(image: RgbaImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 4;
  const alpha = (image.data[i + 3] as number) / 255;
  const over = (v: number) => v * alpha + 255 * (1 - alpha);
  return [over(image.data[i] as number), over(image.data[i + 1] as number), over(image.data[i + 2] as number)];
}
