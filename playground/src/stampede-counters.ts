import { h, replace, setText } from './dom.js';
import { formatSeconds } from './format.js';
import type { ServerStats } from './server-stats.js';
import type { Stampede, StampedeCounts } from './stampede.js';

/**
 * The live counters under a stampede: states, retries, batch sizes, throughput, latency. "running
 * jobs" counts this crowd's users whose job runs; "busy slots" is the server's own count out of its
 * `concurrencyCount`. They differ when jobs batch: 2 slots each running a batch of 2 is 4 jobs.
 */
export function drawCounters(
  element: HTMLElement,
  counts: StampedeCounts,
  stampede: Stampede,
  rate: number,
  p50: number | null,
  batches: Record<number, number>,
  slots: Pick<ServerStats, 'busySlots' | 'slots'> | null,
): void {
  // "8×3": three batches of eight, largest first.
  const batchText =
    Object.entries(batches)
      .sort(([a], [b]) => Number(b) - Number(a))
      .map(([size, n]) => `${size}×${n}`)
      .join(', ') || '—';
  // [data-counter key, label, value]
  const items: [string, string, string][] = [
    ['waiting', 'waiting', String(counts.waiting + counts.connecting)],
    ['retrying', 'retrying', String(counts.retrying)],
    ['running', 'running jobs', String(counts.running)],
    ['slots', 'busy slots', slots === null ? '—' : `${slots.busySlots}/${slots.slots}`],
    ['done', 'done', `${counts.done}/${stampede.count}`],
    ['failed', 'failed', String(counts.failed)],
    ['retries', 'retries', String(stampede.retries)],
    ['batches', 'batches', batchText],
    ['throughput', 'throughput', `${rate.toFixed(1)} jobs/s`],
    ['p50 latency', 'p50 latency', p50 === null ? '—' : formatSeconds(p50 / 1000)],
  ];
  if (element.childElementCount !== items.length) {
    replace(
      element,
      ...items.map(([key, label]) =>
        h('span', { class: 'counter', 'data-counter': key }, h('span', {}, label), h('b', {})),
      ),
    );
  }
  items.forEach(([, , value], i) => {
    const b = element.children[i]?.querySelector('b');
    if (b) setText(b, value);
  });
}
