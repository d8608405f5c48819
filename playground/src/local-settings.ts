/** Which model the in-page server hosts: none (plain JS endpoints), Silero VAD, or PP-OCR. */
export type LocalModel = 'none' | 'vad' | 'ocr';
/** Where ONNX runs: WebGPU where there is an adapter else WASM, or one of them only. */
export type Backend = 'auto' | 'webgpu' | 'wasm';

/** What the in-browser panel's knobs choose. */
export interface LocalSettings {
  model: LocalModel;
  backend: Backend;
  /** Slots of the local queue; for an ONNX model, its Web Workers. */
  workers: number;
  batching: boolean;
  maxBatchSize: number;
  /** Most waiting jobs; a stampede beyond it sees `queue_full` and retries. */
  maxSize: number;
}

export const DEFAULT_LOCAL_SETTINGS: Readonly<LocalSettings> = {
  model: 'vad',
  backend: 'auto',
  workers: 2,
  batching: true,
  maxBatchSize: 8,
  maxSize: 20,
};

export const MODEL_LABELS: Record<LocalModel, string> = {
  none: 'none: plain JS endpoints',
  vad: 'Silero VAD v6 (2.3 MB)',
  ocr: 'PP-OCRv4 text recognizer (10.8 MB)',
};

export const BACKEND_LABELS: Record<Backend, string> = {
  auto: 'WebGPU, else WASM',
  webgpu: 'WebGPU only',
  wasm: 'WASM only',
};

/** Integer knobs: their URL parameter and range. */
export const NUMBER_KNOBS = {
  workers: { param: 'workers', min: 1, max: 16 },
  maxBatchSize: { param: 'batch', min: 1, max: 64 },
  maxSize: { param: 'queue', min: 1, max: 1000 },
} as const;

/**
 * Settings from the page's URL (`?model=ocr&backend=wasm&workers=1&batching=off&batch=4&queue=50`),
 * so a setup can be shared as a link; anything missing or invalid keeps its default.
 */
export function settingsFromUrl(search: string): LocalSettings {
  const params = new URLSearchParams(search);
  const settings: LocalSettings = { ...DEFAULT_LOCAL_SETTINGS };
  const model = params.get('model');
  if (model !== null && model in MODEL_LABELS) settings.model = model as LocalModel;
  const backend = params.get('backend');
  if (backend !== null && backend in BACKEND_LABELS) settings.backend = backend as Backend;
  const batching = params.get('batching');
  if (batching === 'on' || batching === 'off') settings.batching = batching === 'on';
  for (const [key, knob] of Object.entries(NUMBER_KNOBS) as [
    keyof typeof NUMBER_KNOBS,
    (typeof NUMBER_KNOBS)[keyof typeof NUMBER_KNOBS],
  ][]) {
    const value = Number(params.get(knob.param) ?? Number.NaN);
    if (Number.isInteger(value) && value >= knob.min && value <= knob.max) settings[key] = value;
  }
  return settings;
}

/** The URL query for `settings`, keeping the page's other parameters. */
export function settingsToSearch(settings: LocalSettings, search: string): string {
  const params = new URLSearchParams(search);
  params.set('model', settings.model);
  params.set('backend', settings.backend);
  params.set('workers', String(settings.workers));
  params.set('batching', settings.batching ? 'on' : 'off');
  params.set('batch', String(settings.maxBatchSize));
  params.set('queue', String(settings.maxSize));
  return `?${params.toString()}`;
}
