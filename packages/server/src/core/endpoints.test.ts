import { describe, expect, it } from 'vitest';
import { DEFAULT_ENDPOINT_TIMEOUT_MS, resolveEndpoints } from './endpoints.js';

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
