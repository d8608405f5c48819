import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaseHeartbeat } from './lease-heartbeat.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('LeaseHeartbeat', () => {
  it('renews three times per lease, one renewal at a time, and stops', async () => {
    vi.useFakeTimers();
    const pending: (() => void)[] = [];
    const renew = vi.fn(() => new Promise<void>((resolve) => pending.push(resolve)));
    const heartbeat = new LeaseHeartbeat(renew, () => {});
    heartbeat.start(300);
    await vi.advanceTimersByTimeAsync(100);
    expect(renew).toHaveBeenCalledTimes(1);
    // The first renewal still waits on Redis: the next beats skip.
    await vi.advanceTimersByTimeAsync(200);
    expect(renew).toHaveBeenCalledTimes(1);
    pending.shift()!();
    await vi.advanceTimersByTimeAsync(100);
    expect(renew).toHaveBeenCalledTimes(2);
    pending.shift()!();
    heartbeat.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(renew).toHaveBeenCalledTimes(2);
  });

  it('hands a failed renewal to `failed` and tries again at the next beat', async () => {
    vi.useFakeTimers();
    const error = new Error('redis away');
    const renew = vi.fn().mockRejectedValueOnce(error).mockResolvedValue(1);
    const failed = vi.fn();
    const heartbeat = new LeaseHeartbeat(renew, failed);
    heartbeat.start(30);
    await vi.advanceTimersByTimeAsync(10);
    expect(failed).toHaveBeenCalledWith(error);
    await vi.advanceTimersByTimeAsync(10);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(failed).toHaveBeenCalledTimes(1);
    heartbeat.stop();
  });
});
