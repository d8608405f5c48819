import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RelayBody } from './relay.js';
import { RELAY_RETRY_MS, RelayOutbox } from './relay-outbox.js';

/** A line whose `send` the test switches between delivering, failing (Redis away) and dropping (not live). */
function line() {
  const delivered: { to: string; body: RelayBody }[] = [];
  const state = { mode: 'up' as 'up' | 'down' | 'unregistered' };
  return {
    delivered,
    state,
    send: (to: string, body: unknown): Promise<boolean> => {
      if (state.mode === 'down') return Promise.reject(new Error('connection refused'));
      if (state.mode === 'unregistered') return Promise.resolve(false);
      delivered.push({ to, body: body as RelayBody });
      return Promise.resolve(true);
    },
  };
}

const cancel = (id: string): RelayBody => ({ t: 'cancel', id });

describe('RelayOutbox', () => {
  afterEach(() => vi.useRealTimers());

  it('sends at once while Redis is there', async () => {
    const l = line();
    const outbox = new RelayOutbox(l, () => true);
    outbox.send('p', cancel('a'));
    await vi.waitFor(() => expect(l.delivered).toEqual([{ to: 'p', body: cancel('a') }]));
    expect(outbox.size).toBe(0);
  });

  it('keeps what could not go, in order, and sends it once Redis is back', async () => {
    vi.useFakeTimers();
    const l = line();
    const outbox = new RelayOutbox(l, () => true);
    l.state.mode = 'down';
    outbox.send('p', cancel('a'));
    outbox.send('p', cancel('b'));
    await vi.advanceTimersByTimeAsync(0);
    outbox.send('p', cancel('c'));
    expect(outbox.size).toBe(3);
    await vi.advanceTimersByTimeAsync(RELAY_RETRY_MS * 3);
    expect(l.delivered).toEqual([]);
    l.state.mode = 'up';
    await vi.advanceTimersByTimeAsync(RELAY_RETRY_MS);
    expect(l.delivered.map((d) => d.body)).toEqual([cancel('a'), cancel('b'), cancel('c')]);
    expect(outbox.size).toBe(0);
  });

  it('waits for a live process that has not registered again yet; drops for one that is gone', async () => {
    vi.useFakeTimers();
    const l = line();
    const alive = new Set(['p']);
    const outbox = new RelayOutbox(l, (to) => alive.has(to));
    l.state.mode = 'unregistered';
    outbox.send('p', cancel('a'));
    outbox.send('q', cancel('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(outbox.size).toBe(1);
    l.state.mode = 'up';
    await vi.advanceTimersByTimeAsync(RELAY_RETRY_MS);
    expect(l.delivered).toEqual([{ to: 'p', body: cancel('a') }]);

    l.state.mode = 'down';
    outbox.send('p', cancel('c'));
    await vi.advanceTimersByTimeAsync(0);
    outbox.drop('p');
    l.state.mode = 'up';
    await vi.advanceTimersByTimeAsync(RELAY_RETRY_MS);
    expect(l.delivered).toHaveLength(1);
    outbox.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
