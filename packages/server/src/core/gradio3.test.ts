import type { EstimationMessage } from '@crowdserve/protocol';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { estimationJson } from './gradio3.js';

it('writes an estimation exactly as JSON.stringify does, whatever its numbers', () => {
  const number = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e21, 1e-7, 0.1 + 0.2),
  );
  const orNull = fc.option(number, { nil: null });
  fc.assert(
    fc.property(orNull, number, orNull, orNull, orNull, number, (rank, size, avg, concurrent, eta, queueEta) => {
      const message: EstimationMessage = {
        msg: 'estimation',
        rank,
        queue_size: size,
        avg_event_process_time: avg,
        avg_event_concurrent_process_time: concurrent,
        rank_eta: eta,
        queue_eta: queueEta,
      };
      expect(estimationJson(message)).toBe(JSON.stringify(message));
    }),
    { numRuns: 2000 },
  );
});
