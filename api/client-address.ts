import { isIP } from 'node:net';

/**
 * The client's address (docs/rules.md#sign-in): the socket's peer, unless that peer is one of the configured trusted
 * proxies (LEDGERFLOW_TRUSTED_PROXIES), in which case `X-Forwarded-For` is read from the right, skipping the trusted
 * proxies, and the first address that is not one of them is the client. A header from anyone else is ignored: a
 * client that sets it itself would otherwise choose the address it is throttled and audited under.
 */

interface Network {
  version: 4 | 6;
  base: bigint;
  prefix: number;
}

export interface TrustedProxies {
  readonly networks: readonly Network[];
  has(address: string): boolean;
}

/** `::ffff:10.0.0.1` (how a dual-stack socket reports an IPv4 peer) as `10.0.0.1`; null when not an IP address. */
export function normalizeAddress(text: string | null | undefined): string | null {
  if (!text) return null;
  let address = text.trim();
  // `[2001:db8::1]` and `[2001:db8::1]:443`, `10.0.0.1:443` as some proxies write them.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  if (mapped) address = mapped[1]!;
  const version = isIP(address);
  if (version === 4) return address;
  // One spelling per IPv6 address (`2001:DB8:0::1` → `2001:db8::1`), so one client is one counter.
  if (version === 6) return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  return null;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) becomes its two 16-bit groups.
  const tail = /(\d{1,3}(\.\d{1,3}){3})$/.exec(text);
  if (tail) {
    const value = ipv4Value(tail[1]!);
    text = `${text.slice(0, tail.index)}${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function addressValue(address: string): { version: 4 | 6; value: bigint } {
  return isIP(address) === 4 ? { version: 4, value: ipv4Value(address) } : { version: 6, value: ipv6Value(address) };
}

function networkMask(version: 4 | 6, prefix: number): bigint {
  const bits = version === 4 ? 32 : 128;
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Parses `10.0.0.1, 10.1.0.0/16, fd00::/8`; throws naming the first entry that is not an address or a CIDR block. */
export function parseTrustedProxies(text: string | null | undefined): TrustedProxies {
  const networks: Network[] = [];
  for (const entry of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const [addressText, prefixText, ...extra] = entry.split('/');
    const address = normalizeAddress(addressText);
    const version = address ? (isIP(address) as 4 | 6) : null;
    const maximum = version === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? maximum : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!address || !version || extra.length > 0 || !(prefix >= 0 && prefix <= maximum)) {
      throw new RangeError(`LEDGERFLOW_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR block`);
    }
    networks.push({ version, base: addressValue(address).value & networkMask(version, prefix), prefix });
  }
  return {
    networks,
    has(candidate: string) {
      const address = normalizeAddress(candidate);
      if (!address) return false;
      const { version, value } = addressValue(address);
      return networks.some((network) => network.version === version && (value & networkMask(version, network.prefix)) === network.base);
    },
  };
}

export const noTrustedProxies: TrustedProxies = parseTrustedProxies('');

/**
 * The client address of a request that came from `peer` (null when the server could not tell) with the given
 * `X-Forwarded-For` header. Null when neither gives a usable address.
 */
export function clientAddress(peer: string | null, forwardedFor: string | null | undefined, trusted: TrustedProxies): string | null {
  const direct = normalizeAddress(peer);
  if (!direct || !trusted.has(direct) || !forwardedFor) return direct;
  const hops = forwardedFor.split(',').map((hop) => hop.trim());
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = normalizeAddress(hops[index]);
    // A malformed hop was written by something untrusted: stop there, at the last trusted hop that wrote it.
    if (!hop) return normalizeAddress(hops[index + 1]) ?? direct;
    if (!trusted.has(hop)) return hop;
  }
  // Every hop is a trusted proxy: the leftmost is as far back as anyone trusted can vouch for.
  return normalizeAddress(hops[0]) ?? direct;
}

/**
 * The peer address Bun's server knows (`server.requestIP(request)`; Hono passes the server as the app's `env`).
 * Tests calling `app.request()` pass an env with the same method (test/helpers/api.ts).
 */
export function peerAddress(env: unknown, request: Request): string | null {
  const server = env as { requestIP?: (request: Request) => { address?: string } | null } | undefined;
  if (typeof server?.requestIP !== 'function') return null;
  try {
    return server.requestIP(request)?.address ?? null;
  } catch {
    return null;
  }
}
