import { afterEach, describe, expect, it, vi } from 'vitest';
import { PickedDataDeadlines } from './picked-data.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('PickedDataDeadlines', () => {
  it('times a job from when it is picked: at once if asked then, else when a look finds it out of the line', () => {
    vi.useFakeTimers();
    const waiting = new Set(['prefetched']);
    const expired: string[] = [];
    const deadlines = new PickedDataDeadlines(
      1000,
      (id) => waiting.has(id),
      (id) => expired.push(id),
    );
    deadlines.asked('picked');
    deadlines.asked('prefetched');
    vi.advanceTimersByTime(600);
    // Picked now, 600 ms after it was asked: its deadline counts from here.
    waiting.delete('prefetched');
    deadlines.look();
    vi.advanceTimersByTime(400);
    expect(expired).toEqual(['picked']);
    vi.advanceTimersByTime(599);
    expect(expired).toEqual(['picked']);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['picked', 'prefetched']);
    expect(deadlines.sizes()).toEqual({ pickedWatched: 0, pickedDeadlines: 0 });
  });

  it('forgets a job whose data came or that ended', () => {
    vi.useFakeTimers();
    const waiting = new Set(['w']);
    const expired: string[] = [];
    const deadlines = new PickedDataDeadlines(
      1000,
      (id) => waiting.has(id),
      (id) => expired.push(id),
    );
    deadlines.asked('p');
    deadlines.asked('w');
    deadlines.forget('p');
    deadlines.forget('w');
    waiting.clear();
    deadlines.look();
    vi.advanceTimersByTime(5000);
    expect(expired).toEqual([]);
    expect(deadlines.sizes()).toEqual({ pickedWatched: 0, pickedDeadlines: 0 });
  });
});
