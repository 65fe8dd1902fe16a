/**
 * The Internet checksum (RFC 1071) and the pseudo-header sums VRRP v3 adds to it
 * (RFC 5798 §5.2.8: IPv4 as for TCP/UDP, IPv6 per RFC 8200 §8.1).
 *
 * Sums are kept unfolded between steps so a pseudo-header sum can be passed as the initial value
 * of the payload sum; finishChecksum() folds and complements at the end.
 */
import { VRRP_PROTOCOL, type AddressFamily } from './advert.js';
import { addressWordSum } from './ip-address.js';

/** Folds a non-negative sum of 16-bit words to 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * One's complement sum (unfolded) of the big-endian 16-bit words in data[start, end), plus
 * `initial`. An odd final byte counts as the high byte of a word padded with zero (RFC 1071 §4.1).
 */
export function onesComplementSum(data: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) sum += ((data[i] as number) << 8) | (data[i + 1] as number);
  if (i < end) sum += (data[i] as number) << 8;
  return sum;
}

/** The checksum field value for an accumulated sum: the 16-bit one's complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** RFC 1071 checksum of data[start, end) with an optional initial (pseudo-header) sum. */
export function internetChecksum(data: Uint8Array, start: number, end: number, initial = 0): number {
  return finishChecksum(onesComplementSum(data, start, end, initial));
}

/**
 * Pseudo-header sum for VRRP over IPv4 or IPv6 from the address bytes.
 * IPv4: source, destination, a zero byte, protocol 112, 16-bit VRRP length.
 * IPv6: source, destination, 32-bit upper-layer length, three zero bytes, next header 112.
 * Both come to the address words plus 112 plus the length (which is below 65536 here).
 */
export function pseudoHeaderSum(
  family: AddressFamily,
  source: Uint8Array,
  destination: Uint8Array,
  vrrpLength: number,
): number {
  const length = family === 4 ? 4 : 16;
  if (source.length !== length || destination.length !== length) {
    throw new TypeError(`IPv${family} pseudo-header needs ${length}-byte addresses`);
  }
  if (!Number.isInteger(vrrpLength) || vrrpLength < 0 || vrrpLength > 0xffff) {
    throw new RangeError(`VRRP length ${vrrpLength} is outside 0..65535`);
  }
  return onesComplementSum(source, 0, length, onesComplementSum(destination, 0, length, VRRP_PROTOCOL + vrrpLength));
}

/**
 * The same pseudo-header sum from address text, without allocating for IPv4.
 * Returns -1 when either text is not an address of `family`.
 */
export function pseudoHeaderSumFromText(
  family: AddressFamily,
  source: string,
  destination: string,
  vrrpLength: number,
): number {
  const s = addressWordSum(source, family);
  if (s < 0) return -1;
  const d = addressWordSum(destination, family);
  if (d < 0) return -1;
  return s + d + VRRP_PROTOCOL + vrrpLength;
}
