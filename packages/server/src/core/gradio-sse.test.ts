import { describe, expect, it } from 'vitest';
import { eventFrame, GeneratorDiff, outputDiff, queueFullDetail, sseFrame } from './gradio-sse.js';

// Expected edits are what Gradio 5.49's `gradio.utils.diff` returns for the same inputs.
describe('outputDiff (Gradio utils.diff)', () => {
  it('nothing for equal values, deep ones included', () => {
    expect(outputDiff({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toEqual([]);
  });

  it('a string that grows is an append; one that changes otherwise a replace', () => {
    expect(outputDiff('Hel', 'Hello')).toEqual([['append', [], 'lo']]);
    expect(outputDiff('Hello', 'Help')).toEqual([['replace', [], 'Help']]);
  });

  it('a change of type is a replace', () => {
    expect(outputDiff(null, 'text')).toEqual([['replace', [], 'text']]);
    expect(outputDiff([1], { 0: 1 })).toEqual([['replace', [], { 0: 1 }]]);
  });

  it('lists item by item: adds at the end, deletes last with shifted indices', () => {
    expect(outputDiff([1, 2], [1, 3, 4])).toEqual([
      ['replace', [1], 3],
      ['add', [2], 4],
    ]);
    expect(outputDiff(['a', 'b', 'c', 'd'], ['a'])).toEqual([
      ['delete', [1], null],
      ['delete', [1], null],
      ['delete', [1], null],
    ]);
  });

  it('objects key by key, paths nested', () => {
    expect(outputDiff({ a: 'x', b: 1, gone: true }, { a: 'xy', b: 1, c: [] })).toEqual([
      ['append', ['a'], 'y'],
      ['delete', ['gone'], null],
      ['add', ['c'], []],
    ]);
  });
});

describe('GeneratorDiff', () => {
  it('sends the first yield whole and each later one as a diff per output', () => {
    const diff = new GeneratorDiff();
    expect(diff.next(['a', [1]])).toEqual(['a', [1]]);
    expect(diff.next(['ab', [1, 2]])).toEqual([[['append', [], 'b']], [['add', [1], 2]]]);
    expect(diff.next(['ab', [1, 2]])).toEqual([[], []]);
  });
});

describe('frames', () => {
  it('one data line per message, the event id beside the 3.x fields', () => {
    expect(eventFrame({ msg: 'process_starts', eta: 1.5 }, 'e1')).toBe(
      'data: {"msg":"process_starts","eta":1.5,"event_id":"e1"}\n\n',
    );
    expect(sseFrame({ msg: 'close_stream', event_id: null })).toBe('data: {"msg":"close_stream","event_id":null}\n\n');
  });

  it("queue full in Gradio's words", () => {
    expect(queueFullDetail(3, 3)).toBe('Queue is full. Max size is 3 and size is 3.');
  });
});
