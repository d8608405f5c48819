// The real models in real Web Workers, behind the in-page queue, reached the way a page would:
// connect(local). WebGPU here is SwiftShader (a CPU adapter, `--enable-unsafe-webgpu`): correct
// but slow (seconds per OCR run), so the inputs are kept short. Correctness only, never speed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@crowdserve/client';
import type { App } from '@crowdserve/client';
import { ocrEndpoint, vadEndpoint } from '../models/browser.js';
import { createLocalServer } from '@crowdserve/server/browser';
import type { LocalServer } from '@crowdserve/server/browser';
import { ocrKeysUrl, ocrModelUrl, renderLine, speechSamples, vadModelUrl } from '../../test/browser-test-models.js';

type Segment = { start: number; end: number };

/** 16 kHz samples in a second. */
const RATE = 16_000;

describe.each([
  { provider: 'wasm', executionProviders: ['wasm'] },
  { provider: 'webgpu', executionProviders: ['webgpu', 'wasm'] },
])('the local server with VAD and OCR on $provider', ({ provider, executionProviders }) => {
  let local: LocalServer;
  let app: App;

  beforeAll(async () => {
    local = createLocalServer({
      endpoints: {
        '/vad': vadEndpoint({ model: vadModelUrl, executionProviders }),
        // Lines padded to 160 px rather than 320: half the work per run, which SwiftShader feels.
        '/ocr': ocrEndpoint({ model: ocrModelUrl, dictionary: ocrKeysUrl, executionProviders, minWidth: 160 }),
      },
    });
    app = await connect(local);
    // WebGPU on SwiftShader: two model loads and warm-ups, about 40 s on a quiet 2-core machine.
  }, 180_000);

  afterAll(async () => {
    app?.close();
    await local?.close();
  });

  it(`runs both models on ${provider}, and says so to the page and to the client`, () => {
    for (const apiName of ['/vad', '/ocr']) {
      expect(local.reports[apiName]).toMatchObject({
        executionProvider: provider,
        runtime: 'onnxruntime-web',
        executionProviderFallbacks: [],
        workers: 1,
      });
      expect(app.config.crowdserve?.endpoints[apiName]).toMatchObject({ execution_provider: provider });
    }
  });

  it('tells speech from silence', async () => {
    // One second of the recording from 0.25 s (speech starts at 0.5 s), and a quarter second of
    // zeros, one after the other: a batch of one, the shape the model was warmed up with.
    const speech = (await speechSamples()).slice(RATE / 4, RATE + RATE / 4);
    const [probabilities, segments] = (await app.predict('/vad', [speech])) as [number[], Segment[]];
    const [silenceProbabilities, silenceSegments] = (await app.predict('/vad', [
      new Array<number>(RATE / 4).fill(0),
    ])) as [number[], Segment[]];
    expect(probabilities).toHaveLength(Math.ceil(speech.length / 512));
    expect(Math.max(...probabilities)).toBeGreaterThan(0.9);
    expect(segments).toHaveLength(1);
    expect(segments[0]?.start).toBeGreaterThan(0.1);
    expect(segments[0]?.start).toBeLessThan(0.45);
    expect(Math.max(...silenceProbabilities)).toBeLessThan(0.1);
    expect(silenceSegments).toEqual([]);
  });

  it('reads a line of text the browser rendered', async () => {
    const [text, confidence] = (await app.predict('/ocr', [renderLine('OCR 42')])) as [string, number];
    expect(text).toBe('OCR 42');
    expect(confidence).toBeGreaterThan(0.8);
  });
});
