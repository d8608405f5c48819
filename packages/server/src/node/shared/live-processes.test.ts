import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveProcesses } from './live-processes.js';

describe('LiveProcesses', () => {
  afterEach(() => vi.useRealTimers());

  it("counts the others' slots, and names the processes that left", () => {
    const changes: [number, string[]][] = [];
    const live = new LiveProcesses('me', 1000, (slots, gone) => changes.push([slots, gone]));
    live.update([
      { id: 'me', slots: 1 },
      { id: 'a', slots: 2 },
      { id: 'b', slots: 3 },
    ]);
    live.update([
      { id: 'me', slots: 1 },
      { id: 'b', slots: 3 },
    ]);
    expect(changes).toEqual([
      [5, []],
      [3, ['a']],
    ]);
    expect(live.has('a')).toBe(false);
    expect(live.has('b')).toBe(true);
  });

  it('after a resync, gives a missing process one lease to register again', async () => {
    vi.useFakeTimers();
    const changes: [number, string[]][] = [];
    const live = new LiveProcesses('me', 1000, (slots, gone) => changes.push([slots, gone]));
    live.update([
      { id: 'me', slots: 1 },
      { id: 'a', slots: 2 },
      { id: 'b', slots: 2 },
    ]);
    live.resynced();
    live.update([{ id: 'me', slots: 1 }]);
    expect(changes.at(-1)).toEqual([4, []]);
    expect(live.has('a')).toBe(true);
    live.update([
      { id: 'me', slots: 1 },
      { id: 'a', slots: 2 },
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes.at(-1)).toEqual([2, ['b']]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
