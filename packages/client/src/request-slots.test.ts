import { describe, expect, it } from 'vitest';
import { RequestSlots } from './request-slots.js';

describe('RequestSlots', () => {
  it('grants up to its size at once, then one per release, in order', async () => {
    const slots = new RequestSlots(2);
    const a = (await slots.acquire())!;
    const b = (await slots.acquire())!;
    const order: string[] = [];
    const c = slots.acquire().then((r) => (order.push('c'), r!));
    const d = slots.acquire().then((r) => (order.push('d'), r!));
    await Promise.resolve();
    expect(order).toEqual([]);
    a();
    a(); // A second release of the same slot frees nothing more.
    await c;
    expect(order).toEqual(['c']);
    b();
    (await d)();
    (await c)();
    expect(order).toEqual(['c', 'd']);
  });

  it('lets a waiter give up through its signal without taking a slot', async () => {
    const slots = new RequestSlots(1);
    const held = (await slots.acquire())!;
    const controller = new AbortController();
    const gaveUp = slots.acquire(controller.signal);
    const next = slots.acquire();
    controller.abort();
    expect(await gaveUp).toBeNull();
    held();
    expect(await next).toBeTypeOf('function');
    expect(await slots.acquire(AbortSignal.abort())).toBeNull();
  });
});
