/**
 * IP address text <-> bytes, strict and allocation-light (the codec calls these per packet).
 *
 * Accepted text: IPv4 dotted quads without leading zeros (so "010.0.0.1" is not silently octal or
 * decimal), and IPv6 per RFC 4291 §2.2 including "::" and a trailing dotted quad. Zone indices
 * ("fe80::1%eth0"), brackets and prefix lengths are not addresses and are rejected.
 * Output: IPv4 dotted quads; IPv6 in RFC 5952 form.
 */
import type { AddressFamily } from './advert.js';

export interface ParsedIp {
  family: AddressFamily;
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  bytes: Buffer;
}

/** Byte length of an address of the family. */
export function addressLength(family: AddressFamily): 4 | 16 {
  return family === 4 ? 4 : 16;
}

/**
 * The 32-bit value of an IPv4 dotted quad, or -1 when the text is not one.
 * No allocation: this is the hot path for pseudo-header sums.
 */
export function ipv4ToNumber(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A leading zero is only allowed as the whole part ("0"), never "01".
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + part;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text into eight 16-bit groups written to `groups[0..7]`.
 * Returns false (groups then undefined) when the text is not an IPv6 address.
 */
export function parseIpv6Groups(text: string, groups: number[]): boolean {
  const length = text.length;
  // Shortest "::", longest a full form with a trailing dotted quad (45 characters).
  if (length < 2 || length > 45) return false;
  let count = 0;
  let gap = -1; // group index where "::" stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === length) return fillGap(groups, count, gap);
  }
  for (;;) {
    if (count === 8) return false;
    const start = i;
    let value = 0;
    while (i < length && i - start < 5) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    const digits = i - start;
    if (i < length && text.charCodeAt(i) === 46) {
      // RFC 4291 §2.2 form 3: the last 32 bits as a dotted quad.
      if (count > 6) return false;
      const v4 = ipv4ToNumber(text.slice(start));
      if (v4 < 0) return false;
      groups[count++] = Math.floor(v4 / 0x10000);
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    if (i === length) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < length && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === length) break;
    } else if (i === length) {
      return false; // a single trailing colon
    }
  }
  if (gap < 0) return count === 8;
  return fillGap(groups, count, gap);
}

/** Moves the groups after "::" to the end and zero-fills the gap; "::" must stand for ≥ 1 group. */
function fillGap(groups: number[], count: number, gap: number): boolean {
  if (count > 7) return false;
  const tail = count - gap;
  for (let k = tail - 1; k >= 0; k--) groups[8 - tail + k] = groups[gap + k] as number;
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

/**
 * Writes the address bytes of `text` into `target` at `offset`. Returns false when the text is not
 * an address of `family` (nothing useful is written then). The caller checks the room.
 */
export function writeIp(text: string, family: AddressFamily, target: Uint8Array, offset: number): boolean {
  if (family === 4) {
    const value = ipv4ToNumber(text);
    if (value < 0) return false;
    target[offset] = value >>> 24;
    target[offset + 1] = (value >>> 16) & 0xff;
    target[offset + 2] = (value >>> 8) & 0xff;
    target[offset + 3] = value & 0xff;
    return true;
  }
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  if (!parseIpv6Groups(text, groups)) return false;
  for (let k = 0; k < 8; k++) {
    const g = groups[k] as number;
    target[offset + 2 * k] = g >>> 8;
    target[offset + 2 * k + 1] = g & 0xff;
  }
  return true;
}

/**
 * Sum of the address's 16-bit words (not folded), as the Internet checksum needs for a
 * pseudo-header; -1 when the text is not an address of `family`.
 */
export function addressWordSum(text: string, family: AddressFamily): number {
  if (family === 4) {
    const value = ipv4ToNumber(text);
    return value < 0 ? -1 : Math.floor(value / 0x10000) + (value & 0xffff);
  }
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  if (!parseIpv6Groups(text, groups)) return -1;
  let sum = 0;
  for (let k = 0; k < 8; k++) sum += groups[k] as number;
  return sum;
}

/** The only family the text can be: a colon means IPv6, anything else IPv4. */
function familyOf(text: string): AddressFamily {
  return text.includes(':') ? 6 : 4;
}

/** Parses an IPv4 or IPv6 address. Throws SyntaxError when the text is not one. */
export function parseIp(text: string): ParsedIp {
  if (typeof text !== 'string') throw new TypeError(`Expected an IP address string, got ${typeof text}`);
  const family = familyOf(text);
  const bytes = Buffer.alloc(addressLength(family));
  if (writeIp(text, family, bytes, 0)) return { family, bytes };
  throw new SyntaxError(`Invalid IP address "${text}"`);
}

/** Whether `text` is an IP address (of `family`, when given). Never throws. */
export function isIp(text: string, family?: AddressFamily): boolean {
  if (typeof text !== 'string') return false;
  const actual = familyOf(text);
  if (family !== undefined && family !== actual) return false;
  if (actual === 4) return ipv4ToNumber(text) >= 0;
  return parseIpv6Groups(text, [0, 0, 0, 0, 0, 0, 0, 0]);
}

/** The canonical text of an address (IPv6 per RFC 5952). Throws SyntaxError on bad text. */
export function canonicalIp(text: string): string {
  const { family, bytes } = parseIp(text);
  return formatIp(bytes, 0, family);
}

/** Formats 4 (IPv4) or 16 (IPv6, RFC 5952) bytes at `offset`. RangeError when they are not there. */
export function formatIp(bytes: Uint8Array, offset: number, family: AddressFamily): string {
  const length = addressLength(family);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > bytes.length) {
    throw new RangeError(`No ${length}-byte address at offset ${offset} of a ${bytes.length}-byte buffer`);
  }
  if (family === 4) return formatIpv4(bytes, offset);
  return formatIpv6(bytes, offset);
}

/** Dotted quad of the 4 bytes at `offset`; unchecked, for the decoder's hot path. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `offset`; unchecked, for the decoder. */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let k = 0; k < 8; k++) {
    groups[k] = ((bytes[offset + 2 * k] as number) << 8) | (bytes[offset + 2 * k + 1] as number);
  }
  // RFC 5952 §5: IPv4-mapped addresses keep their IPv4 part as a dotted quad.
  if (
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 &&
    groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff
  ) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  // RFC 5952 §4.2: "::" replaces the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  let text = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      text += '::';
      k += bestLength - 1;
      continue;
    }
    // RFC 5952 §4.1 and §4.3: no leading zeros, lower case.
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += (groups[k] as number).toString(16);
  }
  return text;
}

/**
 * Unsigned byte-wise comparison of two addresses of the same family, as VRRP's tie break on equal
 * priority needs (RFC 3768 §6.4.3, RFC 5798 §6.4.3: the higher primary address wins).
 * Returns -1, 0 or 1. TypeError when the lengths differ (mixed families).
 */
export function compareAddresses(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) {
    throw new TypeError(`Cannot compare a ${a.length}-byte address with a ${b.length}-byte address`);
  }
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Whether two addresses are the same bytes (false for different lengths, i.e. families). */
export function addressesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether address bytes are multicast: IPv4 224.0.0.0/4 (RFC 5771), IPv6 ff00::/8 (RFC 4291 §2.7). */
export function isMulticastAddress(address: Uint8Array): boolean {
  const first = address[0] as number;
  return address.length === 16 ? first === 0xff : (first & 0xf0) === 0xe0;
}

/** Whether IPv6 address text is link-local (fe80::/10, RFC 4291 §2.5.6). */
export function isLinkLocalIpv6(text: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(text);
}
