import type { LoadProgress } from '@crowdserve/onnx/browser';
import { h, setText } from './dom.js';

/** "12.3 of 30.6 MB": a model's load read at a glance. */
function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/**
 * A bar for a model's load: bytes while the model and the WASM are fetched (once, for every
 * worker), then workers whose session is ready. `update` takes the endpoint's `onProgress` reports.
 */
export function createLoadProgress(what: string): { element: HTMLElement; update: (p: LoadProgress) => void } {
  const bar = h('progress', { 'aria-label': 'model load', max: 1, value: 0 });
  const label = h('span', { 'data-load-phase': 'fetch' }, `Fetching ${what}…`);
  const element = h('div', { class: 'load-progress', role: 'status' }, label, bar);
  const update = (p: LoadProgress): void => {
    label.dataset.loadPhase = p.phase;
    if (p.phase === 'fetch') {
      // An unknown total (no Content-Length yet) leaves the bar indeterminate.
      if (p.total > 0) {
        bar.max = p.total;
        bar.value = p.loaded;
      } else bar.removeAttribute('value');
      const of = p.total > 0 ? ` of ${megabytes(p.total)}` : '';
      setText(label, `Fetching ${what}: ${megabytes(p.loaded)}${of} MB (once, for every worker)`);
    } else {
      bar.max = p.total;
      bar.value = p.loaded;
      setText(label, `Starting ${what}: ${p.loaded} of ${p.total} worker(s) ready`);
    }
  };
  return { element, update };
}
