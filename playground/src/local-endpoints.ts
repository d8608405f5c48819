import { ocrEndpoint, vadEndpoint, type OnLoadProgress } from '@crowdserve/onnx/browser';
import type { EndpointDefinition } from '@crowdserve/server/browser';
import vadModelUrl from '@ricky0123/vad-web/dist/silero_vad_v6.onnx?url';
// The build onnxruntime-web's bundle loads: the page fetches it once and hands it to every worker.
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import ocrModelUrl from '@crowdserve/onnx/assets/ch_PP-OCRv4_rec_infer.onnx?url';
import ocrKeysUrl from '@crowdserve/onnx/assets/ppocr_keys_v1.txt?url';
import type { Backend, LocalSettings } from './local-settings.js';
import { plainEndpoints } from './plain-endpoints.js';

const PROVIDERS: Record<Backend, string[]> = {
  auto: ['webgpu', 'wasm'],
  webgpu: ['webgpu'],
  wasm: ['wasm'],
};

/**
 * The in-page server's endpoints for the knobs' settings: the chosen ONNX model in Web Workers
 * (Vite copies the model files beside the page), or plain JS ones that need no model.
 */
export function localEndpoints(
  settings: LocalSettings,
  onProgress: OnLoadProgress = () => undefined,
): Record<string, EndpointDefinition> {
  const common = {
    onProgress,
    wasm: new URL(ortWasmUrl, location.href),
    executionProviders: PROVIDERS[settings.backend],
    batch: settings.batching,
    maxBatchSize: settings.maxBatchSize,
  };
  switch (settings.model) {
    case 'none':
      return plainEndpoints(settings);
    case 'vad':
      return { '/vad': vadEndpoint({ ...common, model: new URL(vadModelUrl, location.href) }) };
    case 'ocr':
      return {
        '/ocr': ocrEndpoint({
          ...common,
          model: new URL(ocrModelUrl, location.href),
          dictionary: new URL(ocrKeysUrl, location.href),
        }),
      };
  }
}
