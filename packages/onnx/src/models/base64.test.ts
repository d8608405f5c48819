import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';

const REFUSED = {
  'not a multiple of 4 long': 'QUJ',
  'whitespace inside': 'QU\nJD',
  'a space in place of a character': 'QU D',
  'a character outside the alphabet': 'QU*D',
  "base64url's alphabet": 'QU-_',
  "'=' before the end": 'QQ==QUJD',
  'three padding characters': 'Q===',
};

// In Node the bytes come from Buffer; where there is no Buffer (the browser) from atob. Both
// branches must read and refuse exactly the same texts.
describe.each([
  ['with Buffer (Node)', false],
  ['without Buffer (browser)', true],
])('base64 %s', (_, hideBuffer) => {
  afterEach(() => vi.unstubAllGlobals());
  const setup = () => {
    if (hideBuffer) vi.stubGlobal('Buffer', undefined);
  };

  it('round-trips bytes of every length, padded as btoa pads them', () => {
    const all = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
    setup();
    for (let length = 0; length < 40; length++) {
      const bytes = all.subarray(0, length);
      const text = encodeBase64(bytes);
      expect(text).toBe(btoa(String.fromCharCode(...bytes)));
      expect(decodeBase64(text)).toEqual(new Uint8Array(bytes));
    }
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 255);
    const back = decodeBase64(encodeBase64(big)) as Uint8Array;
    expect(back.length).toBe(big.length);
    expect(back.every((v, i) => v === big[i])).toBe(true);
  });

  it.each(Object.entries(REFUSED))('refuses %s', (_what, text) => {
    setup();
    expect(decodeBase64(text)).toBeNull();
  });

  it('gives bytes the caller owns, even for a small text', () => {
    setup();
    const bytes = decodeBase64('AQID') as Uint8Array;
    expect(bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(3);
  });
});
