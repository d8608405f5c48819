// Runs in the `chromium-no-webgpu` instance: Chromium without `--enable-unsafe-webgpu` (and
// with `--disable-gpu`), a browser where `navigator.gpu` exists but gives no adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@crowdserve/client';
import type { App } from '@crowdserve/client';
import { vadEndpoint } from '../models/browser.js';
import { requestWebGpuAdapter } from '../onnx/webgpu.js';
import { createLocalServer } from '@crowdserve/server/browser';
import type { LocalServer } from '@crowdserve/server/browser';
import { speechSamples, vadModelUrl } from '../../test/browser-test-models.js';

type Segment = { start: number; end: number };

describe('where WebGPU is unavailable', () => {
  let local: LocalServer;
  let app: App;

  beforeAll(async () => {
    // The default execution providers: WebGPU first, then WASM.
    local = createLocalServer({ endpoints: { '/vad': vadEndpoint({ model: vadModelUrl }) } });
    app = await connect(local);
  });

  afterAll(async () => {
    app?.close();
    await local?.close();
  });

  it('is a browser without a WebGPU adapter (the premise of this file)', async () => {
    expect(await requestWebGpuAdapter()).toBeNull();
  });

  it('falls back to WASM and says so, to the page and to the client', () => {
    expect(local.reports['/vad']).toEqual({
      executionProvider: 'wasm',
      runtime: 'onnxruntime-web',
      executionProviderFallbacks: ['webgpu: not available here'],
      workers: 1,
      model: 'silero_vad_v6.onnx',
    });
    expect(app.config.crowdserve?.endpoints['/vad']).toMatchObject({
      execution_provider: 'wasm',
      execution_provider_fallbacks: ['webgpu: not available here'],
    });
  });

  it('still tells speech from silence', async () => {
    const [probabilities, segments] = (await app.predict('/vad', [await speechSamples()])) as [number[], Segment[]];
    const [, silenceSegments] = (await app.predict('/vad', [new Array<number>(8_000).fill(0)])) as [
      number[],
      Segment[],
    ];
    expect(Math.max(...probabilities)).toBeGreaterThan(0.9);
    expect(segments[0]?.start).toBeGreaterThan(0.3);
    expect(segments[0]?.start).toBeLessThan(0.7);
    expect(silenceSegments).toEqual([]);
  });
});
