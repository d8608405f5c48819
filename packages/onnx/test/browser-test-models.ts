/// <reference types="vite/client" />
// Browser-test helpers for the real models: their files served by Vite, a recorded voice, a rendered line.
// The imports a user's page writes (issue 22.6); Vite serves the files.
import vadModelUrl from '@ricky0123/vad-web/dist/silero_vad_v6.onnx?url';
import ocrModelUrl from '@crowdserve/onnx/assets/ch_PP-OCRv4_rec_infer.onnx?url';
import ocrKeysUrl from '@crowdserve/onnx/assets/ppocr_keys_v1.txt?url';
import speechWavUrl from '../test-fixtures/speech-16k.wav?url';
import { encodeBase64 } from '../src/models/base64.js';

export { ocrKeysUrl, ocrModelUrl, vadModelUrl };

/** "Hello there, this is a voice test." (espeak-ng, 16 kHz mono; speech from 0.5 s to about 2.6 s). */
export async function speechSamples(): Promise<number[]> {
  const response = await fetch(speechWavUrl);
  if (!response.ok) throw new Error(`could not fetch ${speechWavUrl}: HTTP ${response.status}`);
  return readPcm16Wav(await response.arrayBuffer());
}

/** The samples of a 16-bit PCM mono WAV file, in [-1, 1]. */
function readPcm16Wav(buffer: ArrayBuffer): number[] {
  const view = new DataView(buffer);
  const tag = (at: number) => String.fromCharCode(...new Uint8Array(buffer, at, 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('expected a WAV file');
  for (let at = 12; at + 8 <= buffer.byteLength;) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === 'fmt ' && (view.getUint16(at + 8, true) !== 1 || view.getUint16(at + 22, true) !== 16)) {
      throw new Error('expected 16-bit PCM');
    }
    if (tag(at) === 'data') {
      return Array.from({ length: size / 2 }, (_, i) => view.getInt16(at + 8 + i * 2, true) / 32768);
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('the WAV file has no data chunk');
}

/** One line of black text on white, drawn by the browser, as the OCR endpoint's wire form. */
export function renderLine(text: string, px = 32): { width: number; height: number; data: string } {
  const canvas = new OffscreenCanvas(Math.ceil(text.length * px * 0.7) + 16, Math.round(px * 1.5));
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D context on an OffscreenCanvas');
  g.fillStyle = 'white';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = 'black';
  g.font = `${px}px sans-serif`;
  g.textBaseline = 'middle';
  g.fillText(text, 8, canvas.height / 2);
  const image = g.getImageData(0, 0, canvas.width, canvas.height);
  return { width: image.width, height: image.height, data: encodeBase64(image.data) };
}
