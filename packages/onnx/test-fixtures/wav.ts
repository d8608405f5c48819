import { readFileSync } from 'node:fs';

/** Reads a 16-bit PCM mono WAV file as samples in [-1, 1], with its sample rate. */
export function readWav(url: URL): { sampleRate: number; samples: number[] } {
  const bytes = readFileSync(url);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => bytes.toString('ascii', at, at + 4);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error(`${url.pathname} is not a WAV file`);
  let sampleRate = 0;
  for (let at = 12; at + 8 <= bytes.length;) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ') {
      const format = view.getUint16(at + 8, true);
      const channels = view.getUint16(at + 10, true);
      const bits = view.getUint16(at + 22, true);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error('expected 16-bit PCM mono');
      sampleRate = view.getUint32(at + 12, true);
    } else if (tag(at) === 'data') {
      const samples = Array.from({ length: size / 2 }, (_, i) => view.getInt16(at + 8 + i * 2, true) / 32768);
      return { sampleRate, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}
