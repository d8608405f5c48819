import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { parseJson } from './fields.js';
import { parseDataMessage, parseJoinMessage, parseServerMessage } from './parse.js';

describe('parseJoinMessage', () => {
  it('accepts a valid join', () => {
    expect(parseJoinMessage('{"fn_index":2,"session_hash":"abc"}')).toEqual({
      ok: true,
      value: { fn_index: 2, session_hash: 'abc' },
    });
  });

  it.each([
    ['not json', 'INVALID_JSON', '$'],
    ['[1,2]', 'NOT_AN_OBJECT', '$'],
    ['{"fn_index":-1,"session_hash":"a"}', 'INVALID_FIELD', '$.fn_index'],
    ['{"fn_index":1.5,"session_hash":"a"}', 'INVALID_FIELD', '$.fn_index'],
    ['{"fn_index":"0","session_hash":"a"}', 'INVALID_FIELD', '$.fn_index'],
    ['{"fn_index":0}', 'INVALID_FIELD', '$.session_hash'],
    [`{"fn_index":0,"session_hash":"${'x'.repeat(65)}"}`, 'STRING_TOO_LONG', '$.session_hash'],
    ['{"fn_index":0,"session_hash":"a","__proto__":{"x":1}}', 'FORBIDDEN_KEY', '$.__proto__'],
  ])('refuses %s with %s at %s', (text, code, path) => {
    const r = parseJoinMessage(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ProtocolError);
    expect(r.error.code).toBe(code);
    expect(r.error.path).toBe(path);
  });

  it('says what it expected and what it got', () => {
    const r = parseJoinMessage('{"fn_index":"zero","session_hash":"a"}');
    expect(!r.ok && r.error.message).toBe('expected an integer ≥ 0, got "zero" at $.fn_index');
  });
});

describe('parseDataMessage', () => {
  it('accepts data with any payload and defaults event_data to null', () => {
    const r = parseDataMessage('{"data":["hi",{"a":[1]}],"fn_index":0,"session_hash":"s"}');
    expect(r).toEqual({
      ok: true,
      value: { data: ['hi', { a: [1] }], event_data: null, fn_index: 0, session_hash: 's' },
    });
  });

  it('finds a forbidden key nested deep in the payload', () => {
    const r = parseDataMessage('{"data":[{"a":[{"constructor":{"prototype":1}}]}],"fn_index":0,"session_hash":"s"}');
    expect(!r.ok && r.error.code).toBe('FORBIDDEN_KEY');
    expect(!r.ok && r.error.path).toBe('$.data[0].a[0].constructor');
  });

  it('finds a forbidden key written with escapes', () => {
    const r = parseDataMessage('{"data":[[1,{"\\u005f_proto__":{}}]],"fn_index":0,"session_hash":"s"}');
    expect(!r.ok && r.error.code).toBe('FORBIDDEN_KEY');
    expect(!r.ok && r.error.path).toBe('$.data[0][1].__proto__');
  });

  it('accepts those words as values, not keys', () => {
    expect(parseDataMessage('{"data":["__proto__"],"fn_index":0,"session_hash":"s"}').ok).toBe(true);
  });

  it('refuses a data field that is not an array', () => {
    const r = parseDataMessage('{"data":"x","fn_index":0,"session_hash":"s"}');
    expect(!r.ok && r.error.code).toBe('INVALID_FIELD');
  });
});

describe('parseServerMessage', () => {
  it('reads every server message', () => {
    const frames = [
      { msg: 'send_hash' },
      { msg: 'queue_full', queue_size: 3, max_size: 3, retry_after: 1.5 },
      { msg: 'queue_full' },
      {
        msg: 'estimation',
        rank: 0,
        queue_size: 1,
        avg_event_process_time: null,
        avg_event_concurrent_process_time: null,
        rank_eta: null,
        queue_eta: 0,
      },
      { msg: 'send_data' },
      { msg: 'process_starts', eta: 0.5 },
      { msg: 'progress', progress_data: [{ index: 1, length: 10, unit: 'steps', progress: null, desc: null }] },
      { msg: 'process_generating', output: { data: [1], is_generating: true }, success: true },
      {
        msg: 'process_completed',
        output: { data: ['A'], is_generating: false, duration: 0.1, average_duration: 0.1 },
        success: true,
      },
      { msg: 'process_completed', output: { error: 'boom' }, success: false },
    ];
    for (const frame of frames) {
      const r = parseServerMessage(JSON.stringify(frame));
      expect(r.ok, JSON.stringify(frame)).toBe(true);
      expect(r.ok && r.value.msg).toBe(frame.msg);
    }
  });

  it('turns a null error into a readable one', () => {
    const r = parseServerMessage('{"msg":"process_completed","output":{"error":null},"success":false}');
    expect(r.ok && r.value).toEqual({ msg: 'process_completed', output: { error: 'unknown error' }, success: false });
  });

  it('calls Gradio log frames unknown, so a client can skip them', () => {
    const r = parseServerMessage('{"msg":"log","log":"hello","level":"info"}');
    expect(!r.ok && r.error.code).toBe('UNKNOWN_MESSAGE');
  });
});

describe('parsers under fuzz', () => {
  const parsers = [parseJoinMessage, parseDataMessage, parseServerMessage, parseJson];

  it('never throw on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        for (const parse of parsers) {
          const r = parse(text);
          if (!r.ok) expect(r.error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throw on arbitrary JSON, and answer with a typed error when they refuse', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        for (const parse of parsers) {
          const r = parse(text);
          if (!r.ok) expect(typeof r.error.code).toBe('string');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('survive a hostile nesting depth', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(parseDataMessage(`{"data":${deep},"fn_index":0,"session_hash":"s","x":"__proto__"}`).ok).toBe(true);
  });
});
