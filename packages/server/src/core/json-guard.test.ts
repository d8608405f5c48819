import { describe, expect, it } from 'vitest';
import { checkJsonDepth, DEFAULT_MAX_JSON_DEPTH, jsonDepth, JsonTooDeepError } from './json-guard.js';

describe('jsonDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('{"data":[[1,2],[3]]}', 10)).toBe(3);
    expect(jsonDepth('{"data":["[[[[", "\\"[[["]}', 10)).toBe(2);
    expect(jsonDepth('"plain"', 10)).toBe(0);
  });

  it('counts the same on UTF-8 bytes, multi-byte characters and escapes included', () => {
    for (const text of ['{"data":[[1,2],[3]]}', '{"a":["é[[", "\\"[[", "😀]"],[["ü"]]]}', '"plain"', '[[[']) {
      expect(jsonDepth(new TextEncoder().encode(text), 10)).toBe(jsonDepth(text, 10));
    }
    expect(jsonDepth(Buffer.from('['.repeat(1_000_000)), 64)).toBe(65);
  });

  it('stops as soon as the budget is passed', () => {
    expect(jsonDepth('['.repeat(1_000_000), 64)).toBe(65);
  });
});

describe('checkJsonDepth', () => {
  it('passes text within the budget and refuses text past it with a coded error', () => {
    const at = `${'['.repeat(DEFAULT_MAX_JSON_DEPTH)}${']'.repeat(DEFAULT_MAX_JSON_DEPTH)}`;
    expect(() => checkJsonDepth(at)).not.toThrow();
    const past = `[${at}]`;
    expect(() => checkJsonDepth(past)).toThrow(JsonTooDeepError);
    expect(() => checkJsonDepth(past)).toThrow(expect.objectContaining({ code: 'JSON_TOO_DEEP' }));
  });
});
