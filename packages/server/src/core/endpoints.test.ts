import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT_TIMEOUT_MS, resolveEndpoints } from './endpoints.js';
import { ServerOptionRangeError, ServerOptionTypeError, UnknownOptionError } from '../errors.js';

const fn = async (d: unknown[]) => d;

describe('resolveEndpoints: timeoutMs', () => {
  it('an endpoint without timeoutMs gets the default, so a handler that never returns frees its slot (issue 21.3)', () => {
    const [endpoint] = resolveEndpoints({ '/p': { fn } });
    expect(endpoint?.queue.timeoutMs).toBe(DEFAULT_ENDPOINT_TIMEOUT_MS);
    expect(DEFAULT_ENDPOINT_TIMEOUT_MS).toBe(300_000);
  });

  it('null opts out; a number overrides', () => {
    const [none, short] = resolveEndpoints({ '/none': { fn, timeoutMs: null }, '/short': { fn, timeoutMs: 50 } });
    expect(none?.queue.timeoutMs).toBeNull();
    expect(short?.queue.timeoutMs).toBe(50);
  });
});

describe('resolveEndpoints: bad definitions', () => {
  it('refuses an unknown key in a definition, naming it ({ fn, batchh: true })', () => {
    const run = (): unknown => resolveEndpoints({ '/p': { fn, batchh: true } as never });
    expect(run).toThrow(UnknownOptionError);
    expect(run).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPTION', option: 'batchh' }));
    expect(run).toThrow("endpoints['/p']: unknown option 'batchh' (expected one of fn, batch,");
  });

  it.each<[string, Record<string, unknown>, string, typeof ServerOptionTypeError | typeof ServerOptionRangeError]>([
    ['no endpoints', {}, 'endpoints: expected at least one endpoint, got none', ServerOptionRangeError],
    ['a bad name', { nope: { fn } }, `endpoints: expected a name like '/predict', got "nope"`, ServerOptionRangeError],
    ['no fn', { '/p': { fn: 1 } }, "endpoints['/p'].fn: expected a function, got 1", ServerOptionTypeError],
    [
      'a bad prepare',
      { '/p': { fn, prepare: 'x' } },
      `endpoints['/p'].prepare: expected a function, got "x"`,
      ServerOptionTypeError,
    ],
    [
      'bad inputs',
      { '/p': { fn, inputs: {} } },
      "endpoints['/p'].inputs: expected an array, got an object",
      ServerOptionTypeError,
    ],
  ])('refuses %s with INVALID_OPTION', (_, endpoints, message, errorClass) => {
    const run = (): unknown => resolveEndpoints(endpoints as never);
    expect(run).toThrow(message);
    expect(run).toThrow(errorClass);
    expect(run).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
