import { describe, expect, it } from 'vitest';
import { ClientShare, defaultMaxWaitingPerClient } from './client-share.js';

describe('defaultMaxWaitingPerClient', () => {
  it('is half of maxSize, at least 1, and none for an unbounded queue', () => {
    expect(defaultMaxWaitingPerClient(20)).toBe(10);
    expect(defaultMaxWaitingPerClient(5)).toBe(3);
    expect(defaultMaxWaitingPerClient(0)).toBe(1);
    expect(defaultMaxWaitingPerClient(null)).toBeNull();
  });
});

describe('ClientShare', () => {
  it('refuses a client at the limit under any of its keys, and forgets released jobs', () => {
    const share = new ClientShare(2);
    share.add('1', ['ip:a', 'session:x']);
    share.add('2', ['ip:a', 'session:y']);
    expect(share.admits(['ip:a', 'session:z'])).toBe(false);
    expect(share.admits(['ip:b', 'session:x'])).toBe(true);
    share.add('3', ['ip:b', 'session:x']);
    expect(share.admits(['ip:c', 'session:x'])).toBe(false);
    share.release('1');
    share.release('1');
    share.release('unknown');
    expect(share.admits(['ip:a', 'session:z'])).toBe(true);
    share.release('2');
    share.release('3');
    expect(share.sizes()).toEqual({ shareJobs: 0, shareKeys: 0 });
  });

  it('with no limit admits everyone and keeps nothing', () => {
    const share = new ClientShare(null);
    for (let i = 0; i < 100; i++) share.add(String(i), ['ip:a']);
    expect(share.admits(['ip:a'])).toBe(true);
    expect(share.sizes()).toEqual({ shareJobs: 0, shareKeys: 0 });
  });
});
