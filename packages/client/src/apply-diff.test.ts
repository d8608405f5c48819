import { describe, expect, it } from 'vitest';
import { applyDiff, DiffError } from './apply-diff.js';

describe('applyDiff', () => {
  // The first two cases are gradio-app/gradio's own (client/js/src/test/apply_diff.test.ts, main).
  it('deletes list items at indices shifted by the deletes before them', () => {
    const data = [
      { content: 'Hi', role: 'user' },
      { content: 'How can I assist you?', role: 'assistant' },
    ];
    expect(
      applyDiff(data, [
        ['delete', [0], null],
        ['delete', [0], null],
      ]),
    ).toEqual([]);
    expect(
      applyDiff(
        ['a', 'b', 'c'],
        [
          ['replace', [0], 'd'],
          ['delete', [1], null],
          ['delete', [1], null],
        ],
      ),
    ).toEqual(['d']);
  });

  it("streams a chatbot's growing reply: append to a nested string, add a message", () => {
    const before = [['Hi', 'Hel']];
    const after = applyDiff(before, [
      ['append', [0, 1], 'lo!'],
      ['add', [1], ['And?', '']],
    ]);
    expect(after).toEqual([
      ['Hi', 'Hello!'],
      ['And?', ''],
    ]);
    expect(before).toEqual([['Hi', 'Hel']]);
  });

  it('replaces and appends at the root, adds and deletes object keys', () => {
    expect(applyDiff('Once', [['append', [], ' upon']])).toBe('Once upon');
    expect(applyDiff(1, [['replace', [], { a: 1 }]])).toEqual({ a: 1 });
    const obj = { a: 1, b: 2 };
    expect(
      applyDiff(obj, [
        ['delete', ['a'], null],
        ['add', ['c'], 3],
      ]),
    ).toEqual({ b: 2, c: 3 });
    expect(obj).toEqual({ a: 1, b: 2 });
  });

  it.each([
    ['not a list', {}],
    ['an unknown action', [['move', [], 1]]],
    ['a prototype key in a path', [['add', ['__proto__', 'polluted'], true]]],
    ['a constructor key in a path', [['replace', ['constructor'], 1]]],
    ['an index out of range', [['replace', ['list', 5], 1]]],
    ['a path through nothing', [['replace', ['x', 'y'], 1]]],
    ['an add at the root', [['add', [], 1]]],
    ['an append to a number', [['append', ['n'], 'x']]],
  ])('refuses %s', (_, edits) => {
    expect(() => applyDiff({ n: 1, list: [] }, edits)).toThrow(DiffError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
