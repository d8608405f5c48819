import { describe, expect, it } from 'vitest';
import { parseSseJoinRefusal, parseSseJoinResponse, parseSseMessage } from './parse-sse.js';

describe('parseSseMessage', () => {
  it('reads stream-wide messages', () => {
    expect(parseSseMessage('{"msg":"heartbeat","event_id":null}')).toEqual({ ok: true, value: { msg: 'heartbeat' } });
    expect(parseSseMessage('{"msg":"close_stream","event_id":null}')).toEqual({
      ok: true,
      value: { msg: 'close_stream' },
    });
    expect(
      parseSseMessage({
        msg: 'unexpected_error',
        event_id: null,
        message: 'Session not found.',
        session_not_found: true,
      }),
    ).toEqual({
      ok: true,
      value: { msg: 'unexpected_error', event_id: null, message: 'Session not found.', session_not_found: true },
    });
  });

  it("reads an event's messages as Gradio 5 shapes them, tagged with the event", () => {
    // gradio/server_messages.py (gradio@5.9.1): an estimation has no avg_* or queue_eta fields.
    expect(parseSseMessage('{"msg":"estimation","event_id":"e1","rank":0,"queue_size":1,"rank_eta":null}')).toEqual({
      ok: true,
      value: {
        msg: 'estimation',
        event_id: 'e1',
        rank: 0,
        queue_size: 1,
        rank_eta: null,
        avg_event_process_time: null,
        avg_event_concurrent_process_time: null,
        queue_eta: 0,
      },
    });
    const failed = parseSseMessage({
      msg: 'process_completed',
      event_id: 'e1',
      output: { error: null },
      success: false,
      title: 'Error',
    });
    expect(failed).toMatchObject({ ok: true, value: { success: false, output: { error: 'unknown error' } } });
  });

  it.each([
    ['no event_id on an event message', { msg: 'process_starts', eta: null }, 'INVALID_FIELD'],
    ['an empty event_id', { msg: 'process_starts', event_id: '', eta: null }, 'INVALID_FIELD'],
    ['a 3.x handshake message', { msg: 'send_hash', event_id: 'e' }, 'UNKNOWN_MESSAGE'],
    ["Gradio's log (skipped by clients)", { msg: 'log', event_id: 'e', log: 'x', level: 'info' }, 'UNKNOWN_MESSAGE'],
    ['a prototype key', '{"msg":"heartbeat","__proto__":{}}', 'FORBIDDEN_KEY'],
    ['not JSON', 'data', 'INVALID_JSON'],
  ])('refuses %s', (_, input, code) => {
    const result = parseSseMessage(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(code);
  });
});

describe('the join answers', () => {
  it('reads an event id, and a refusal with or without our numbers', () => {
    expect(parseSseJoinResponse({ event_id: 'abc' })).toEqual({ ok: true, value: { event_id: 'abc' } });
    expect(parseSseJoinResponse({}).ok).toBe(false);
    expect(parseSseJoinRefusal({ detail: 'Queue is full. Max size is 1 and size is 1.' })).toEqual({
      ok: true,
      value: { detail: 'Queue is full. Max size is 1 and size is 1.' },
    });
    expect(parseSseJoinRefusal({ detail: 'full', queue_size: 1, max_size: 1, retry_after: 2.5 })).toEqual({
      ok: true,
      value: { detail: 'full', queue_size: 1, max_size: 1, retry_after: 2.5 },
    });
    expect(parseSseJoinRefusal({ detail: [{ loc: ['body'], msg: 'field required' }] })).toMatchObject({
      ok: true,
      value: { detail: 'refused: an array of 1' },
    });
  });
});
