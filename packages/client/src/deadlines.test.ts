import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.js';

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls each expiry once its time has passed, and not before', () => {
    const deadlines = new Deadlines();
    const expired: string[] = [];
    deadlines.after(100, () => expired.push('a'));
    vi.advanceTimersByTime(40);
    deadlines.after(100, () => expired.push('b'));
    vi.advanceTimersByTime(59);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(39);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'b']);
  });

  it('never calls an expiry cancelled in time', () => {
    const deadlines = new Deadlines();
    const expire = vi.fn();
    const cancel = deadlines.after(100, expire);
    vi.advanceTimersByTime(99);
    cancel();
    vi.advanceTimersByTime(1000);
    expect(expire).not.toHaveBeenCalled();
  });

  it('fires a shorter deadline added after a longer one on time', () => {
    const deadlines = new Deadlines();
    const expired: string[] = [];
    deadlines.after(1000, () => expired.push('long'));
    deadlines.after(10, () => expired.push('short'));
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['short']);
    vi.advanceTimersByTime(990);
    expect(expired).toEqual(['short', 'long']);
  });

  it('sets one timer for a run of requests answered in time, not one each', () => {
    const deadlines = new Deadlines();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 50; i++) deadlines.after(10_000, () => {})();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    setTimeoutSpy.mockRestore();
  });

  it('keeps a deadline added from inside an expiry', () => {
    const deadlines = new Deadlines();
    const expired: string[] = [];
    deadlines.after(10, () => {
      expired.push('first');
      deadlines.after(10, () => expired.push('second'));
    });
    vi.advanceTimersByTime(10);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['first', 'second']);
  });
});
