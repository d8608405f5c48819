// The host carrying a round to a very long line: 200,000 estimate effects at once, more than a
// function call takes as arguments, and each executed once, in order; and a round that a sink
// breaks off.
import type { ServerMessage } from '@crowdserve/protocol';
import { expect, it } from 'vitest';
import { resolveEndpoints } from './endpoints.js';
import { QueueHost, type JobSink } from './queue-host.js';

/** A host whose one slot is held by a call that never returns: whoever joins after the first waits. */
function holdingHost(clock: () => number): QueueHost {
  return new QueueHost({
    endpoints: resolveEndpoints({ '/hold': { expectedDurationMs: 1000, fn: () => new Promise<unknown[]>(() => {}) } }),
    concurrencyCount: 1,
    maxSize: null,
    statusUpdateRate: 'auto',
    dataTimeoutMs: 600_000,
    prefetchData: false,
    clock,
  });
}

it('tells 200,000 waiting jobs their new rank when one near the front leaves', () => {
  let now = 0;
  const host = holdingHost(() => now);
  const count = 200_000;
  const lastRank: (number | null | undefined)[] = new Array<number | null | undefined>(count);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const sink: JobSink = {
      send: (m: ServerMessage) => {
        if (m.msg === 'estimation') lastRank[i] = m.rank;
      },
      close: () => {},
    };
    ids.push(host.join(sink, 0, []));
  }
  now += 60_000;
  expect(() => host.leave(ids[1] as string)).not.toThrow();
  // Job 0 runs, job 1 left: job k (k ≥ 2) is now at rank k − 2.
  for (let i = 2; i < count; i++) if (lastRank[i] !== i - 2) expect(lastRank[i]).toBe(i - 2);
  expect(host.stats().waiting).toBe(count - 2);
  void host.shutdown(0);
}, 60_000);

it('keeps the rest of a round when one sink throws: they are told at the host’s next event, in order', () => {
  let now = 0;
  const host = holdingHost(() => now);
  const heard: string[] = [];
  let broken = false;
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const sink: JobSink = {
      send: (m: ServerMessage) => {
        if (m.msg !== 'estimation') return;
        if (i === 3 && broken) throw new Error('a broken sink');
        heard.push(`${i}@${m.rank}`);
      },
      close: () => {},
    };
    ids.push(host.join(sink, 0, []));
  }
  heard.length = 0;
  broken = true;
  now += 60_000;
  // Job 0 runs; job 1 leaves: jobs 2…5 move up. Job 3's sink throws after job 2 heard.
  expect(() => host.leave(ids[1] as string)).toThrow('a broken sink');
  expect(heard).toEqual(['2@0']);
  broken = false;
  // The next event (another join) runs what the throw left, before its own effects; the effect
  // that threw is not run again.
  host.join({ send: () => {}, close: () => {} }, 0, []);
  expect(heard).toEqual(['2@0', '4@2', '5@3']);
  void host.shutdown(0);
});
