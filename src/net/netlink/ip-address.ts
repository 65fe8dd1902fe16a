/**
 * IP address text <-> the raw bytes netlink carries (network byte order), on top of the shared
 * parser in src/vrrp/ip-address.ts; plus hardware address formatting of any length.
 */
import type { AddressFamily } from '../../vrrp/advert.js';
import { addressLength, formatIp, writeIp } from '../../vrrp/ip-address.js';

/** Raw bytes of an address; throws SyntaxError for text that is not an address of the family. */
export function addressToBytes(text: string, family: AddressFamily): Buffer {
  const bytes = Buffer.alloc(addressLength(family));
  if (typeof text !== 'string' || !writeIp(text, family, bytes, 0)) {
    throw new SyntaxError(`Not an IPv${family} address: '${String(text)}'`);
  }
  return bytes;
}

/** Address text for 4 or 16 raw bytes (IPv6 in RFC 5952 form); undefined for any other length. */
export function bytesToAddress(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return formatIp(bytes, 0, 4);
  if (bytes.length === 16) return formatIp(bytes, 0, 6);
  return undefined;
}

/**
 * 'aa:bb:cc:dd:ee:ff' (lower case) for a hardware address of any length: IFLA_ADDRESS is 6 bytes
 * for Ethernet but e.g. 20 for InfiniBand and 16 for ip6 tunnels.
 */
export function macToString(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The address family of an AF_INET / AF_INET6 number (rtmsg, fib_rule_hdr, ifaddrmsg); undefined for others. */
export function familyOfNumber(n: number | undefined): AddressFamily | undefined {
  return n === 2 ? 4 : n === 10 ? 6 : undefined;
}
