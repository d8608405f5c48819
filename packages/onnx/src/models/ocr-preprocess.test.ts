import { describe, expect, it } from 'vitest';
import { ocrInputTensor } from './ocr-preprocess.js';
import type { RgbaImage } from './ocr-image.js';

/** A solid image of one RGBA colour. */
function solid(width: number, height: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
  return { width, height, data };
}

describe('ocrInputTensor', () => {
  it('scales to height 48 keeping the aspect, and pads to at least 320 wide with zeros', () => {
    const t = ocrInputTensor(solid(100, 24, [255, 255, 255, 255]));
    expect(t.dims).toEqual([1, 3, 48, 320]);
    const row = [...t.data.subarray(0, 320)] as number[];
    expect(row.slice(0, 200).every((v) => v === 1)).toBe(true);
    expect(row.slice(200).every((v) => v === 0)).toBe(true);
  });

  it('rounds padded widths up to a multiple of widthStep, and squeezes past maxWidth', () => {
    expect(ocrInputTensor(solid(330, 48, [0, 0, 0, 255])).dims).toEqual([1, 3, 48, 480]);
    expect(ocrInputTensor(solid(330, 48, [0, 0, 0, 255]), { widthStep: 8 }).dims).toEqual([1, 3, 48, 336]);
    expect(ocrInputTensor(solid(5000, 48, [0, 0, 0, 255])).dims).toEqual([1, 3, 48, 1600]);
  });

  it('normalises to [-1, 1] in BGR order', () => {
    const t = ocrInputTensor(solid(48, 48, [255, 0, 51, 255]));
    const plane = 48 * 320;
    expect([t.data[0], t.data[plane], t.data[2 * plane]]).toEqual([Math.fround((51 / 255 - 0.5) / 0.5), -1, 1]);
  });

  it('reads transparent pixels as white paper', () => {
    const t = ocrInputTensor(solid(48, 48, [0, 0, 0, 0]));
    expect(t.data[0]).toBe(1);
  });

  it('interpolates between source pixels (bilinear)', () => {
    // Two columns, black then white, 48 high: scaled to 48 × 2 it keeps them; to 96 × 4 it blends them.
    const image: RgbaImage = { width: 2, height: 1, data: Uint8Array.of(0, 0, 0, 255, 255, 255, 255, 255) };
    const t = ocrInputTensor(image, { minWidth: 1, widthStep: 1 });
    expect(t.dims).toEqual([1, 3, 48, 96]);
    const row = [...t.data.subarray(0, 96)] as number[];
    expect(row[0]).toBe(-1);
    expect(row[95]).toBe(1);
    expect(row[47]! < row[48]!).toBe(true);
    expect(row.every((v, i) => i === 0 || v >= row[i - 1]!)).toBe(true);
  });
});
