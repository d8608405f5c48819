import type { App } from '@crowdserve/client';
import { h } from './dom.js';

/** The queue settings a server announces in `/config`'s `crowdserve` section, as a row of chips. */
export function renderSettings(app: App): HTMLElement {
  const ours = app.config.crowdserve;
  if (ours === undefined) {
    return h('div', { class: 'settings' }, chip('server', 'Gradio (no crowdserve settings)'));
  }
  const chips = [
    chip('concurrencyCount', String(ours.concurrency_count)),
    chip('maxSize', ours.max_size === null ? '∞' : String(ours.max_size)),
  ];
  for (const [name, endpoint] of Object.entries(ours.endpoints)) {
    const parts = [endpoint.batch ? `batch ≤ ${endpoint.max_batch_size}` : 'no batching'];
    if (endpoint.batch && endpoint.max_batch_delay_ms > 0) parts.push(`waits ${endpoint.max_batch_delay_ms} ms`);
    if (endpoint.concurrency_limit !== null) parts.push(`≤ ${endpoint.concurrency_limit} slots`);
    if (typeof endpoint.execution_provider === 'string') parts.push(endpoint.execution_provider);
    chips.push(chip(name, parts.join(', ')));
  }
  return h('div', { class: 'settings', 'aria-label': 'server settings' }, ...chips);
}

function chip(name: string, value: string): HTMLElement {
  return h('span', { class: 'chip', 'data-setting': name }, h('span', {}, name), ' ', h('b', {}, value));
}
