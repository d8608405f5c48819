import { describe, expect, it } from 'vitest';
import { PeerBatches } from './peer-batches.js';

describe('PeerBatches', () => {
  it('holds at most one batch per peer slot, dropping the oldest', () => {
    const peers = new PeerBatches();
    peers.setSlots(2);
    for (const [key, startedAt] of [
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ] as const)
      peers.start(key, { fnIndex: 0, size: 1, startedAt });
    expect([...peers.values()].map((b) => b.startedAt)).toEqual([1, 2]);
    expect(peers.has('a')).toBe(false);
    expect(peers.finish('b')).toEqual({ fnIndex: 0, size: 1, startedAt: 1 });
    expect(peers.finish('b')).toBeUndefined();
    peers.setSlots(0);
    expect(peers.size).toBe(0);
    expect(peers.slots).toBe(0);
  });
});
