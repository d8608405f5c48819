import { describe, expect, it } from 'vitest';
import { PrometheusText } from './prometheus-text.js';

describe('PrometheusText', () => {
  it('writes each family as HELP, TYPE, then its samples, and ends the page with a newline', () => {
    const text = new PrometheusText();
    text.gauge('up', 'Whether it is up.', 1);
    text.counter('jobs_total', 'Jobs run.', 3);
    text.family('refused_total', 'counter', 'Refusals, by reason.');
    text.sample('refused_total{reason="origin"}', 2);
    expect(text.toString()).toBe(
      [
        '# HELP up Whether it is up.',
        '# TYPE up gauge',
        'up 1',
        '# HELP jobs_total Jobs run.',
        '# TYPE jobs_total counter',
        'jobs_total 3',
        '# HELP refused_total Refusals, by reason.',
        '# TYPE refused_total counter',
        'refused_total{reason="origin"} 2',
        '',
      ].join('\n'),
    );
  });
});
