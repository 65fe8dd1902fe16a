/**
 * IP address text for configuration: the canonical form the model stores (IPv4 dotted quad,
 * IPv6 per RFC 5952), so "fd00::0:1" and "fd00::1" compare equal as strings.
 * The parsing itself is the codec's (src/vrrp/ip-address.ts), so config and wire agree.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { canonicalIp, isIp, parseIp } from '../vrrp/ip-address.js';

export interface ParsedAddress {
  address: string;
  family: AddressFamily;
}

/** The canonical form of an IPv4 or IPv6 address, or undefined when the text is not one. */
export function parseIpAddress(text: string): ParsedAddress | undefined {
  if (!isIp(text)) return undefined;
  return { address: canonicalIp(text), family: text.includes(':') ? 6 : 4 };
}

function firstBytes(address: string): Buffer {
  return parseIp(address).bytes;
}

/** 224.0.0.0/4 (RFC 5771). */
export function isIpv4Multicast(address: string): boolean {
  const first = firstBytes(address)[0] ?? 0;
  return first >= 224 && first <= 239;
}

/** ff02::/16 whatever the flags: link-local scope multicast, keepalived's rule for IPv6 groups. */
export function isIpv6LinkLocalMulticast(address: string): boolean {
  const bytes = firstBytes(address);
  return bytes[0] === 0xff && ((bytes[1] ?? 0) & 0x0f) === 0x02;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
export function isIpv6LinkLocal(address: string): boolean {
  const bytes = firstBytes(address);
  return bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80;
}
