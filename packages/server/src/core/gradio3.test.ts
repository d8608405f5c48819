import fc from 'fast-check';
import { expect, it } from 'vitest';
import { estimationFieldsJson, estimationMessage } from './gradio3.js';

it('renders held estimation fields exactly as JSON.stringify renders their message, whatever the numbers', () => {
  const number = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e21, 1e-7, 0.1 + 0.2, 0.0005, 2.0004999),
  );
  const nullIfNaN = (x: number): number | null => (Number.isNaN(x) ? null : x);
  fc.assert(
    fc.property(number, number, number, number, number, number, (rank, queueSize, avg, concurrent, eta, queueEta) => {
      const fields = {
        rank,
        queueSize,
        avgEventProcessTime: avg,
        avgEventConcurrentProcessTime: concurrent,
        rankEta: eta,
        queueEta,
      };
      // How a conversation holds an estimation: null times as NaN.
      const message = estimationMessage({
        rank,
        queueSize,
        avgEventProcessTime: nullIfNaN(avg),
        avgEventConcurrentProcessTime: nullIfNaN(concurrent),
        rankEta: nullIfNaN(eta),
        queueEta,
      });
      expect(estimationFieldsJson(fields)).toBe(JSON.stringify(message));
    }),
    { numRuns: 2000 },
  );
});

it('writes null times as null and rounds the others to the millisecond', () => {
  const text = estimationFieldsJson({
    rank: 3,
    queueSize: 10,
    avgEventProcessTime: NaN,
    avgEventConcurrentProcessTime: 1.23456,
    rankEta: 4.0004,
    queueEta: 12.3456,
  });
  expect(JSON.parse(text)).toEqual({
    msg: 'estimation',
    rank: 3,
    queue_size: 10,
    avg_event_process_time: null,
    avg_event_concurrent_process_time: 1.235,
    rank_eta: 4,
    queue_eta: 12.346,
  });
});
