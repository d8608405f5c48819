// The real models (Silero VAD v6, PP-OCRv4's recognizer) in real worker_threads. The workers are
// the built files: run `npx tsc -b packages/onnx` first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCanvas } from '@napi-rs/canvas';
import type { BatchHandler, EndpointDefinition, EndpointReport } from '@crowdserve/server';
import { readWav } from '../../test-fixtures/wav.js';
import { encodeBase64 } from './base64.js';
import { ocrEndpoint, vadEndpoint } from './node.js';

const context = () => ({ signal: new AbortController().signal, progress: () => undefined });
const call = (endpoint: EndpointDefinition, requests: unknown[][]) =>
  (endpoint.fn as BatchHandler)(requests, context());

describe('vadEndpoint (Silero VAD v6)', () => {
  const speech = readWav(new URL('../../test-fixtures/speech-16k.wav', import.meta.url));
  const silence = new Array<number>(16_000).fill(0);
  let endpoint: EndpointDefinition;
  let report: EndpointReport | void;

  beforeAll(async () => {
    endpoint = vadEndpoint();
    report = await endpoint.setup?.({ concurrencyCount: 2, apiName: '/vad' });
  });

  afterAll(async () => {
    await endpoint.dispose?.();
  });

  it('loads the model from its npm package', () => {
    expect(report).toMatchObject({ executionProvider: 'cpu', model: 'silero_vad_v6.onnx', workers: 2 });
    expect(speech.sampleRate).toBe(16_000);
  });

  it('tells speech from silence', async () => {
    const [[speechProbabilities, speechSegments], [silenceProbabilities, silenceSegments]] = (await call(endpoint, [
      [speech.samples],
      [silence],
    ])) as [[number[], { start: number; end: number }[]], [number[], { start: number; end: number }[]]];
    expect(speechProbabilities).toHaveLength(Math.ceil(speech.samples.length / 512));
    expect(speechSegments.length).toBeGreaterThan(0);
    expect(speechSegments[0]?.start).toBeGreaterThan(0.3);
    expect(speechSegments[0]?.start).toBeLessThan(0.7);
    expect(speechSegments.at(-1)?.end).toBeGreaterThan(2.3);
    expect(speechSegments.at(-1)?.end).toBeLessThan(3);
    expect(Math.max(...speechProbabilities)).toBeGreaterThan(0.9);
    expect(silenceSegments).toEqual([]);
    expect(Math.max(...silenceProbabilities)).toBeLessThan(0.1);
  });

  it('gives a clip the same answer batched as alone, whatever its neighbours', async () => {
    const clips = [speech.samples, silence, speech.samples.slice(4000, 20_000), []];
    const batched = await call(
      endpoint,
      clips.map((clip) => [clip]),
    );
    const alone = await Promise.all(clips.map(async (clip) => (await call(endpoint, [[clip]]))[0]));
    expect(batched).toEqual(alone);
    expect(batched[3]).toEqual([[], []]);
  });

  it('gives equally long clips, each sent whole, the same answer batched as alone', async () => {
    // One second each: every clip's frames (74 kB) cross in a buffer of their own, and the batch steps as one.
    const clips = [speech.samples.slice(0, 16_000), silence, speech.samples.slice(8_000, 24_000)];
    const batched = await call(
      endpoint,
      clips.map((clip) => [clip]),
    );
    const alone = await Promise.all(clips.map(async (clip) => (await call(endpoint, [[clip]]))[0]));
    expect(batched).toEqual(alone);
    expect((batched[0] as unknown[][])[0]).toHaveLength(32);
    expect(batched[0]).not.toEqual(batched[1]);
  });

  it('fails a call whose data is not samples, saying why', async () => {
    await expect(call(endpoint, [['hello']])).rejects.toThrow(
      'VAD: expected [samples] as numbers or as base64 little-endian float32, got a string that is neither',
    );
    await expect(call(endpoint, [[{ samples: [] }]])).rejects.toThrow(
      'VAD: expected [samples] (16 kHz mono numbers or base64 float32), got an object',
    );
    await expect(call(endpoint, [[[0, 'x']]])).rejects.toThrow('VAD: sample 1: expected a finite number, got "x"');
  });
});

describe('ocrEndpoint (PP-OCRv4 recognizer)', () => {
  let endpoint: EndpointDefinition;

  /** One line of black text rendered on a canvas, as the wire form `{ width, height, data }`. */
  function line(text: string, options: { background?: string; px?: number } = {}) {
    const px = options.px ?? 32;
    const canvas = createCanvas(Math.ceil(text.length * px * 0.7) + 16, Math.round(px * 1.5));
    const g = canvas.getContext('2d');
    if (options.background) {
      g.fillStyle = options.background;
      g.fillRect(0, 0, canvas.width, canvas.height);
    }
    g.fillStyle = 'black';
    g.font = `${px}px sans-serif`;
    g.textBaseline = 'middle';
    g.fillText(text, 8, canvas.height / 2);
    const image = g.getImageData(0, 0, canvas.width, canvas.height);
    return { width: image.width, height: image.height, data: encodeBase64(image.data) };
  }

  beforeAll(async () => {
    endpoint = ocrEndpoint();
    await endpoint.setup?.({ concurrencyCount: 2, apiName: '/ocr' });
  });

  afterAll(async () => {
    await endpoint.dispose?.();
  });

  it('reads a rendered line of text', async () => {
    const [[text, confidence]] = (await call(endpoint, [[line('HELLO 2026', { background: 'white' })]])) as [
      [string, number],
    ];
    expect(text).toBe('HELLO 2026');
    expect(confidence).toBeGreaterThan(0.8);
  });

  it('reads text on a transparent canvas as on white paper', async () => {
    const [[text]] = (await call(endpoint, [[line('crowdserve 42')]])) as [[string]];
    expect(text).toBe('crowdserve 42');
  });

  it('gives a line the same answer batched as alone, whatever the widths beside it', async () => {
    const lines = [
      line('HELLO 2026'),
      line('Queue'),
      line('The quick brown fox jumps', { px: 24 }),
      line('HELLO 2026'),
    ];
    const batched = await call(
      endpoint,
      lines.map((image) => [image]),
    );
    const alone = await Promise.all(lines.map(async (image) => (await call(endpoint, [[image]]))[0]));
    expect(batched).toEqual(alone);
    expect(batched.map(([text]) => text)).toEqual(['HELLO 2026', 'Queue', 'The quick brown fox jumps', 'HELLO 2026']);
  });
});
