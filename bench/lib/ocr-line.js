// @ts-check
// A line of text for the OCR recognizer, rendered on a white canvas, in the endpoint's wire form.
import { createCanvas } from '@napi-rs/canvas';
import { encodeBase64 } from '@crowdserve/onnx/node';

/**
 * @param {string} text
 * @param {number} [px] font size
 * @returns {{ width: number, height: number, data: string }}
 */
export function ocrLine(text, px = 32) {
  const canvas = createCanvas(Math.ceil(text.length * px * 0.6) + 16, Math.round(px * 1.5));
  const g = canvas.getContext('2d');
  g.fillStyle = 'white';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = 'black';
  g.font = `${px}px sans-serif`;
  g.textBaseline = 'middle';
  g.fillText(text, 8, canvas.height / 2);
  const image = g.getImageData(0, 0, canvas.width, canvas.height);
  return { width: image.width, height: image.height, data: encodeBase64(image.data) };
}
