import { h, replace, setText } from './dom.js';
import { formatSeconds } from './format.js';
import type { Stampede, StampedeCounts } from './stampede.js';

/** The live counters under a stampede: states, retries, batch sizes, throughput, latency. */
export function drawCounters(
  element: HTMLElement,
  counts: StampedeCounts,
  stampede: Stampede,
  rate: number,
  p50: number | null,
  batches: Record<number, number>,
): void {
  // "8×3": three batches of eight, largest first.
  const batchText =
    Object.entries(batches)
      .sort(([a], [b]) => Number(b) - Number(a))
      .map(([size, n]) => `${size}×${n}`)
      .join(', ') || '—';
  const items: [string, string][] = [
    ['waiting', String(counts.waiting + counts.connecting)],
    ['retrying', String(counts.retrying)],
    ['running', String(counts.running)],
    ['done', `${counts.done}/${stampede.count}`],
    ['failed', String(counts.failed)],
    ['retries', String(stampede.retries)],
    ['batches', batchText],
    ['throughput', `${rate.toFixed(1)} jobs/s`],
    ['p50 latency', p50 === null ? '—' : formatSeconds(p50 / 1000)],
  ];
  if (element.childElementCount !== items.length) {
    replace(
      element,
      ...items.map(([name]) => h('span', { class: 'counter', 'data-counter': name }, h('span', {}, name), h('b', {}))),
    );
  }
  items.forEach(([, value], i) => {
    const b = element.children[i]?.querySelector('b');
    if (b) setText(b, value);
  });
}
