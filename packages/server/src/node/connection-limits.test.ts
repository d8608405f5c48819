import { describe, expect, it } from 'vitest';
import { addressKey, ConnectionLimiter } from './connection-limits.js';

describe('ConnectionLimiter', () => {
  it('gives each address up to the limit, and a place back once per release', () => {
    const limiter = new ConnectionLimiter(2);
    const a1 = limiter.acquire('10.0.0.1');
    const a2 = limiter.acquire('10.0.0.1');
    expect(a1).not.toBeNull();
    expect(a2).not.toBeNull();
    expect(limiter.acquire('10.0.0.1')).toBeNull();
    expect(limiter.acquire('10.0.0.2')).not.toBeNull();
    a1!();
    a1!(); // a second release of the same place gives nothing more back
    expect(limiter.sizes()).toEqual({ connections: 2, connectionAddresses: 2 });
    const a3 = limiter.acquire('10.0.0.1');
    expect(a3).not.toBeNull();
    expect(limiter.acquire('10.0.0.1')).toBeNull();
  });

  it('forgets an address once it holds nothing', () => {
    const limiter = new ConnectionLimiter(5);
    const releases = ['1.1.1.1', '1.1.1.1', '2.2.2.2'].map((a) => limiter.acquire(a)!);
    for (const release of releases) release();
    expect(limiter.sizes()).toEqual({ connections: 0, connectionAddresses: 0 });
  });

  it('null: no limit, nothing kept', () => {
    const limiter = new ConnectionLimiter(null);
    for (let i = 0; i < 1000; i++) expect(limiter.acquire('1.1.1.1')).not.toBeNull();
    expect(limiter.sizes()).toEqual({ connections: 0, connectionAddresses: 0 });
  });

  it('counts an IPv6 client by its /64, so rotating addresses inside it does not help', () => {
    const limiter = new ConnectionLimiter(2);
    expect(limiter.acquire('2001:db8:1:2::1')).not.toBeNull();
    expect(limiter.acquire('2001:db8:1:2:ffff:ffff:ffff:ffff')).not.toBeNull();
    expect(limiter.acquire('2001:0db8:0001:0002:0:0:0:9')).toBeNull();
    expect(limiter.acquire('2001:db8:1:3::1')).not.toBeNull();
  });
});

describe('addressKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1::', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:db8:a:b:c:d:e:f', '2001:db8:a:b::/64'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
