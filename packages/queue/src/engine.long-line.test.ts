// A very long line: an estimation round to 200,000 waiting jobs is one effect each, more than a
// function call takes as arguments (the round must not be spread into one).
import { expect, it } from 'vitest';
import { QueueEngine } from './engine.js';
import type { Effect } from './types.js';

it('tells 200,000 waiting jobs their new rank when the front one leaves', () => {
  let now = 0;
  const engine = new QueueEngine({
    concurrencyCount: 1,
    maxSize: null,
    statusUpdateRate: 'auto',
    dataTimeoutMs: 60_000,
    endpoints: [{ batch: false, concurrencyLimit: null, expectedDurationMs: 1000, timeoutMs: null }],
    clock: () => now,
  });
  const count = 200_000;
  for (let i = 0; i < count; i++) engine.join(String(i), 0);
  // Job 0 holds the slot; 1 … 199,999 wait. Long enough later that every one of them is due again.
  now += 60_000;
  let effects: Effect[] = [];
  expect(() => (effects = engine.cancel('1'))).not.toThrow();
  const estimates = effects.filter((e) => e.type === 'estimate');
  expect(estimates).toHaveLength(count - 2);
  expect(estimates.map((e) => e.estimation.rank).sort((a, b) => a - b)).toEqual(
    Array.from({ length: count - 2 }, (_, i) => i),
  );
}, 60_000);
