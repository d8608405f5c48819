import { describe, expect, it } from 'vitest';
import { encodeBase64 } from './base64.js';
import { parseRgbaImage } from './ocr-image.js';

describe('parseRgbaImage', () => {
  const bytes = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);

  it('reads base64 RGBA bytes, the JSON wire form', () => {
    const image = parseRgbaImage({ width: 2, height: 3, data: encodeBase64(bytes) });
    expect(image).toEqual({ width: 2, height: 3, data: bytes });
  });

  it('takes typed arrays and arrays of bytes as they are (in-browser calls)', () => {
    expect(parseRgbaImage({ width: 2, height: 3, data: bytes }).data).toBe(bytes);
    expect(parseRgbaImage({ width: 2, height: 3, data: [...bytes] }).data).toEqual(bytes);
  });

  it('round-trips large images through base64', () => {
    const large = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256);
    const parsed = parseRgbaImage({ width: 500, height: 100, data: encodeBase64(large) }).data;
    expect(Buffer.compare(Buffer.from(parsed.buffer, parsed.byteOffset, parsed.byteLength), large)).toBe(0);
    expect(encodeBase64(large)).toBe(Buffer.from(large).toString('base64'));
  });

  it('refuses what is not an image, saying what it expected', () => {
    expect(() => parseRgbaImage('hello')).toThrow('OCR: expected an image { width, height, data }, got "hello"');
    expect(() => parseRgbaImage({ width: 0, height: 3, data: '' })).toThrow(
      'OCR: image width: expected an integer ≥ 1, got 0',
    );
    expect(() => parseRgbaImage({ width: 2, height: 3, data: encodeBase64(bytes.subarray(4)) })).toThrow(
      'OCR: a 2×3 RGBA image has 24 bytes, got 20',
    );
    expect(() => parseRgbaImage({ width: 2, height: 3, data: '***' })).toThrow(/not base64/);
    expect(() => parseRgbaImage({ width: 1, height: 1, data: [0, 0, 0, 300] })).toThrow(
      'OCR: image data[3]: expected a byte (0–255), got 300',
    );
    expect(() => parseRgbaImage({ width: 3000, height: 3000, data: '' })).toThrow(
      /at most 4000000 pixels, got 9000000/,
    );
    expect(() => parseRgbaImage({ width: 1, height: 1, data: 5 })).toThrow(/expected base64 RGBA bytes, got 5/);
  });
});
