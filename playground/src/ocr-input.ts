import { encodeBase64 } from '@crowdserve/onnx/browser';
import { h } from './dom.js';
import type { InputWidget } from './input-widget.js';

/** PP-OCRv4's recognizer reads lines 48 pixels high; rendering at that height avoids a resize. */
export const OCR_LINE_HEIGHT = 48;
export const DEFAULT_OCR_TEXT = 'Hello crowd 2026';
const FONT = '30px "DejaVu Sans", "Liberation Sans", Arial, sans-serif';
const PADDING = 10;

/** The OCR endpoint's wire form of an image: RGBA bytes, row by row, as base64. */
export interface WireImage {
  width: number;
  height: number;
  data: string;
}

/** A typed line of text, drawn black on white into the canvas that is shown and sent. */
export function createOcrInput(id: string): InputWidget {
  const field = h('input', { id, type: 'text', value: DEFAULT_OCR_TEXT, autocomplete: 'off', spellcheck: false });
  const canvas = h('canvas', { class: 'ocr-preview', 'aria-label': 'the image sent to the OCR model' });
  const redraw = (): void => void drawTextLine(canvas, field.value);
  field.addEventListener('input', redraw);
  redraw();
  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, 'Text to draw'),
    field,
    h('div', { class: 'hint' }, 'Sent as this image (the model reads it back):'),
    canvas,
  );
  return { element, data: async () => [imageToWire(drawTextLine(canvas, field.value))] };
}

/** Draws `text` on one line into `canvas` (resized to fit) and returns its pixels. */
export function drawTextLine(canvas: HTMLCanvasElement, text: string): ImageData {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('this browser cannot draw on a canvas');
  context.font = FONT;
  const width = Math.max(OCR_LINE_HEIGHT, Math.ceil(context.measureText(text).width) + 2 * PADDING);
  canvas.width = width; // resizing resets the context's state: set the font again below
  canvas.height = OCR_LINE_HEIGHT;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, OCR_LINE_HEIGHT);
  context.fillStyle = '#000';
  context.font = FONT;
  context.textBaseline = 'middle';
  context.fillText(text, PADDING, OCR_LINE_HEIGHT / 2 + 1);
  return context.getImageData(0, 0, width, OCR_LINE_HEIGHT);
}

export function imageToWire(image: ImageData): WireImage {
  return { width: image.width, height: image.height, data: encodeBase64(image.data) };
}
