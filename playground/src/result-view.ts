import { h } from './dom.js';
import type { EndpointKind } from './endpoint-kind.js';
import { drawWaveform } from './waveform.js';

/** A job's output `data`, shown the way its endpoint means it. */
export function renderResult(kind: EndpointKind, data: unknown[]): Node {
  switch (kind) {
    case 'text':
      return h('output', { class: 'answer' }, data.map(show).join(' · '));
    case 'ocr': {
      const [text, confidence] = data;
      return h(
        'div',
        {},
        h('output', { class: 'answer' }, `“${show(text)}”`),
        typeof confidence === 'number'
          ? h('span', { class: 'hint' }, ` confidence ${Math.round(confidence * 100)}%`)
          : null,
      );
    }
    case 'vad':
      return renderVad(data);
  }
}

function renderVad([probabilities, segments]: unknown[]): Node {
  const list = Array.isArray(segments) ? (segments as { start: number; end: number }[]) : [];
  const canvas = h('canvas', {
    class: 'waveform',
    width: 320,
    height: 40,
    'aria-label': 'speech probability per 32 ms',
  });
  if (Array.isArray(probabilities)) drawWaveform(canvas, probabilities as number[], true);
  const summary =
    list.length === 0
      ? 'No speech found.'
      : `Speech: ${list.map((s) => `${s.start.toFixed(2)}–${s.end.toFixed(2)} s`).join(', ')}`;
  return h('div', {}, h('output', { class: 'answer' }, summary), canvas);
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
