import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeAddress, parseTrustedProxies, peerAddress } from '../../api/client-address.ts';

describe('the client address (api/client-address.ts)', () => {
  const proxies = parseTrustedProxies('10.0.0.1, 172.16.0.0/12, fd00::/8');

  it('is the socket’s peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const none = parseTrustedProxies(undefined);
    expect(clientAddress('203.0.113.9', '198.51.100.1', none)).toBe('203.0.113.9');
    expect(clientAddress('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
  });

  it('is taken from X-Forwarded-For when the peer is a trusted proxy, read from the right past trusted hops', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1');
    // The client wrote the leftmost entry itself; the trusted proxies appended the rest.
    expect(clientAddress('10.0.0.1', '1.1.1.1, 198.51.100.1, 172.16.4.4', proxies)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddress('fd12::1', '2001:DB8:0::1', proxies)).toBe('2001:db8::1');
  });

  it('stops at a malformed hop, at the last trusted proxy, and falls back to the peer without the header', () => {
    expect(clientAddress('10.0.0.1', 'nonsense', proxies)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', 'nonsense, 172.16.4.4', proxies)).toBe('172.16.4.4');
    expect(clientAddress('10.0.0.1', undefined, proxies)).toBe('10.0.0.1');
    expect(clientAddress(null, '198.51.100.1', proxies)).toBeNull();
  });

  it('matches CIDR blocks of both families and nothing outside them', () => {
    expect(['172.16.0.0', '172.31.255.255', 'fd00::1', 'fdff:ffff::1', '10.0.0.1'].every((address) => proxies.has(address))).toBe(true);
    expect(['172.32.0.0', '172.15.255.255', 'fe00::1', '10.0.0.2', '::1', 'not-an-address'].some((address) => proxies.has(address))).toBe(false);
  });

  it('refuses a configuration entry that is not an address or a block, naming it', () => {
    expect(() => parseTrustedProxies('10.0.0.1, 10.0.0.0/33')).toThrow('"10.0.0.0/33"');
    expect(() => parseTrustedProxies('proxy.internal')).toThrow('"proxy.internal"');
  });

  it('normalises the spellings of one address to one', () => {
    expect(normalizeAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(normalizeAddress('192.0.2.1:8080')).toBe('192.0.2.1');
    expect(normalizeAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('192.0.2.256')).toBeNull();
  });

  it('reads the peer from Bun’s server (the app’s env) and is null without one', () => {
    const request = new Request('http://localhost/');
    expect(peerAddress({ requestIP: (r: Request) => (r === request ? { address: '192.0.2.5' } : null) }, request)).toBe('192.0.2.5');
    expect(peerAddress(undefined, request)).toBeNull();
    expect(peerAddress({}, request)).toBeNull();
  });
});
