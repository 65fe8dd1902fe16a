/**
 * VRRP advertisement encoder/decoder in the dns-packet style (encodingLength / encode into an
 * optional buffer at an offset / decode from an offset).
 *
 * Layouts (after the IP header):
 *   v2, RFC 3768 §5.1: ver|type, VRID, priority, count, auth type, adver int (s), checksum,
 *       IPv4 addresses, 8 bytes authentication data.
 *   v3, RFC 5798 §5.1: ver|type, VRID, priority, count, 4 reserved bits + 12-bit max adver int
 *       (centiseconds), checksum, IPv4 or IPv6 addresses.
 *   v2 over IPv6 is not in any RFC; keepalived 2.2.7 sends it when told to (vrrp_version 2 with
 *   IPv6 addresses, not strict mode): the v2 header, IPv6 addresses, no authentication data.
 *
 * Checksum (RFC 3768 §5.3.8, RFC 5798 §5.2.8): one's complement sum over the VRRP message;
 *   v2 over IPv4: the message only;
 *   v3 over IPv4: plus the IPv4 pseudo-header, unless the instance is set to leave it out
 *     (keepalived's v3_checksum_as_v2, some routers, RFC 9568 discussion) — pseudoHeader: false;
 *   IPv6 (either version): always plus the IPv6 pseudo-header (the kernel computes it there).
 */
import {
  AUTH_DATA_LENGTH,
  AUTH_NONE,
  AUTH_SIMPLE_TEXT,
  ADVERTISEMENT_TYPE,
  type Advert,
  type AddressFamily,
  type VrrpVersion,
} from './advert.js';
import { finishChecksum, onesComplementSum, pseudoHeaderSum, pseudoHeaderSumFromText } from './checksum.js';
import { addressLength, formatIpv4, formatIpv6, writeIp } from './ip-address.js';

/** Fixed part of both header versions. */
export const HEADER_LENGTH = 8;
const CHECKSUM_OFFSET = 6;

/** v3 interval field: 12 bits of centiseconds (RFC 5798 §5.2.7). */
export const V3_MAX_INTERVAL = 0x0fff;
/** v2 interval field: 8 bits of seconds (RFC 3768 §5.3.7). */
export const V2_MAX_INTERVAL = 0xff;

/** v3 adverts carry no authentication data; one shared empty buffer (nothing can be written to it). */
const NO_AUTH_DATA = Buffer.alloc(0);

export interface EncodeContext {
  /** Source address of the IP packet (used by the pseudo-header). */
  source: string;
  /** Destination address of the IP packet (multicast group or unicast peer). */
  destination: string;
  /** v3 over IPv4 only: false leaves the pseudo-header out of the checksum. Ignored otherwise. */
  pseudoHeader: boolean;
  /** Write advert.checksum as given instead of computing it (to build bad packets in tests). */
  keepChecksum?: boolean;
}

/** Whether this version/family carries the 8 bytes of authentication data (only v2 over IPv4). */
export function hasAuthData(version: VrrpVersion, family: AddressFamily): boolean {
  return version === 2 && family === 4;
}

/** Whether the checksum covers a pseudo-header (see the module comment). */
export function usesPseudoHeader(version: number, family: AddressFamily, pseudoHeader: boolean): boolean {
  return family === 6 || (version !== 2 && pseudoHeader);
}

/** Length of the VRRP message for a version, family and address count. */
export function messageLength(version: VrrpVersion, family: AddressFamily, count: number): number {
  return HEADER_LENGTH + count * addressLength(family) + (hasAuthData(version, family) ? AUTH_DATA_LENGTH : 0);
}

/** Bytes encodeAdvert() writes for this advert (the addresses are counted, not advert.count). */
export function encodingLength(advert: Advert): number {
  return messageLength(advert.version, advert.family, advert.addresses.length);
}

/**
 * keepalived's simple text authentication data (RFC 3768 §5.3.6.1): the first 8 bytes of the
 * password (UTF-8, as keepalived takes the bytes of its config file), padded with NULs.
 */
export function authDataFromPassword(password: string): Buffer {
  if (typeof password !== 'string') throw new TypeError(`Expected a password string, got ${typeof password}`);
  const data = Buffer.alloc(AUTH_DATA_LENGTH);
  // Copy bytes rather than Buffer.write, which stops before a character that does not fit
  // whole; keepalived cuts at 8 bytes even inside a character.
  const bytes = Buffer.from(password, 'utf8');
  bytes.copy(data, 0, 0, Math.min(bytes.length, AUTH_DATA_LENGTH));
  return data;
}

/** Whether 8 bytes of authentication data at `offset` equal the data for `password`. */
export function authDataMatches(data: Uint8Array, offset: number, password: string): boolean {
  for (let i = 0; i < AUTH_DATA_LENGTH; i++) {
    const c = i < password.length ? password.charCodeAt(i) : 0;
    if (c > 0x7f) return authDataFromPassword(password).equals(data.subarray(offset, offset + AUTH_DATA_LENGTH));
    if (data[offset + i] !== c) return false;
  }
  return true;
}

export interface AdvertParams {
  version: VrrpVersion;
  family: AddressFamily;
  vrid: number;
  priority: number;
  /** v2: whole seconds 1..255; v3: whole centiseconds 1..4095, in milliseconds. */
  intervalMs: number;
  addresses: readonly string[];
  /** v2 over IPv4 only: simple text password (auth type 1); none means auth type 0. */
  authPass?: string;
}

/** An advert ready for encodeAdvert(): count, units, auth fields filled in. */
export function buildAdvert(params: AdvertParams): Advert {
  const { version, family, intervalMs } = params;
  const unit = version === 2 ? 1000 : 10;
  const interval = intervalMs / unit;
  const max = version === 2 ? V2_MAX_INTERVAL : V3_MAX_INTERVAL;
  if (!Number.isInteger(interval) || interval < 1 || interval > max) {
    throw new RangeError(`Advert interval ${intervalMs} ms is not a whole 1..${max} ${version === 2 ? 's' : 'cs'} for VRRP v${version}`);
  }
  const withAuth = hasAuthData(version, family);
  if (params.authPass !== undefined && !withAuth) {
    throw new RangeError(`VRRP v${version} over IPv${family} carries no authentication data`);
  }
  return {
    version,
    type: ADVERTISEMENT_TYPE,
    vrid: params.vrid,
    priority: params.priority,
    count: params.addresses.length,
    authType: params.authPass !== undefined ? AUTH_SIMPLE_TEXT : AUTH_NONE,
    interval,
    checksum: 0,
    addresses: params.addresses.slice(),
    authData: withAuth
      ? params.authPass !== undefined ? authDataFromPassword(params.authPass) : Buffer.alloc(AUTH_DATA_LENGTH)
      : NO_AUTH_DATA,
    family,
  };
}

function checkByte(value: unknown, name: string, max = 0xff): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Advert ${name} must be an integer, got ${String(value)}`);
  }
  if (value < 0 || value > max) throw new RangeError(`Advert ${name} ${value} is outside 0..${max}`);
}

function checkAdvert(advert: Advert): void {
  if (advert.version !== 2 && advert.version !== 3) {
    throw new RangeError(`Unsupported VRRP version ${String(advert.version)}`);
  }
  if (advert.family !== 4 && advert.family !== 6) {
    throw new RangeError(`Unsupported address family ${String(advert.family)}`);
  }
  checkByte(advert.type, 'type', 0x0f);
  checkByte(advert.vrid, 'VRID');
  checkByte(advert.priority, 'priority');
  checkByte(advert.count, 'count');
  checkByte(advert.checksum, 'checksum', 0xffff);
  if (!Array.isArray(advert.addresses)) throw new TypeError('Advert addresses must be an array');
  if (advert.addresses.length > 0xff) {
    throw new RangeError(`An advert carries at most 255 addresses, got ${advert.addresses.length}`);
  }
  if (!(advert.authData instanceof Uint8Array)) throw new TypeError('Advert authData must be a Buffer');
  if (advert.version === 2) {
    checkByte(advert.authType, 'auth type');
    checkByte(advert.interval, 'interval', V2_MAX_INTERVAL);
  } else {
    if (advert.authType !== 0) throw new RangeError(`VRRP v3 has no auth type field, got ${advert.authType}`);
    checkByte(advert.interval, 'interval', V3_MAX_INTERVAL);
  }
  const authLength = hasAuthData(advert.version, advert.family) ? AUTH_DATA_LENGTH : 0;
  if (advert.authData.length !== authLength) {
    throw new RangeError(
      `VRRP v${advert.version} over IPv${advert.family} needs ${authLength} bytes of auth data, got ${advert.authData.length}`,
    );
  }
}

/**
 * Encodes `advert` into `buf` at `offset` (a new buffer of the exact length when none is given)
 * and returns the buffer. Writes advert.count as given and the checksum computed for `ctx`
 * (or advert.checksum with ctx.keepChecksum). TypeError / RangeError / SyntaxError on a bad advert
 * or address text; RangeError when `buf` has no room.
 */
export function encodeAdvert(advert: Advert, ctx: EncodeContext, buf?: Buffer, offset = 0): Buffer {
  checkAdvert(advert);
  const { version, family, addresses } = advert;
  const length = encodingLength(advert);
  if (buf === undefined) {
    buf = Buffer.alloc(length);
  } else if (!Number.isInteger(offset) || offset < 0 || offset + length > buf.length) {
    throw new RangeError(`No room for a ${length}-byte advert at offset ${offset} of a ${buf.length}-byte buffer`);
  }
  buf[offset] = (version << 4) | advert.type;
  buf[offset + 1] = advert.vrid;
  buf[offset + 2] = advert.priority;
  buf[offset + 3] = advert.count;
  if (version === 2) {
    buf[offset + 4] = advert.authType;
    buf[offset + 5] = advert.interval;
  } else {
    // RFC 5798 §5.2.6: the 4 reserved bits are sent as zero.
    buf[offset + 4] = advert.interval >>> 8;
    buf[offset + 5] = advert.interval & 0xff;
  }
  buf[offset + CHECKSUM_OFFSET] = 0;
  buf[offset + CHECKSUM_OFFSET + 1] = 0;
  const step = addressLength(family);
  let at = offset + HEADER_LENGTH;
  for (let i = 0; i < addresses.length; i++, at += step) {
    const address = addresses[i] as string;
    if (typeof address !== 'string' || !writeIp(address, family, buf, at)) {
      throw new SyntaxError(`Invalid IPv${family} address "${String(address)}" in advert`);
    }
  }
  if (advert.authData.length > 0) buf.set(advert.authData, at);

  let checksum = advert.checksum;
  if (!ctx.keepChecksum) {
    let initial = 0;
    if (usesPseudoHeader(version, family, ctx.pseudoHeader)) {
      initial = pseudoHeaderSumFromText(family, ctx.source, ctx.destination, length);
      if (initial < 0) {
        throw new SyntaxError(
          `Invalid IPv${family} source "${ctx.source}" or destination "${ctx.destination}" for the checksum`,
        );
      }
    }
    checksum = finishChecksum(onesComplementSum(buf, offset, offset + length, initial));
  }
  buf[offset + CHECKSUM_OFFSET] = checksum >>> 8;
  buf[offset + CHECKSUM_OFFSET + 1] = checksum & 0xff;
  return buf;
}

/**
 * Reads an advert whose layout has already been checked (length, version); no checks here.
 * Shared by decodeAdvert() and validateAdvert().
 */
export function readAdvert(buf: Uint8Array, offset: number, family: AddressFamily): Advert {
  const version = ((buf[offset] as number) >>> 4) as VrrpVersion;
  const count = buf[offset + 3] as number;
  const b4 = buf[offset + 4] as number;
  const b5 = buf[offset + 5] as number;
  const addresses: string[] = [];
  let at = offset + HEADER_LENGTH;
  if (family === 4) {
    for (let i = 0; i < count; i++, at += 4) addresses.push(formatIpv4(buf, at));
  } else {
    for (let i = 0; i < count; i++, at += 16) addresses.push(formatIpv6(buf, at));
  }
  let authData = NO_AUTH_DATA;
  if (hasAuthData(version, family)) {
    authData = Buffer.allocUnsafe(AUTH_DATA_LENGTH);
    for (let i = 0; i < AUTH_DATA_LENGTH; i++) authData[i] = buf[at + i] as number;
  }
  return {
    version,
    type: (buf[offset] as number) & 0x0f,
    vrid: buf[offset + 1] as number,
    priority: buf[offset + 2] as number,
    count,
    authType: version === 2 ? b4 : 0,
    // v3: the reserved bits are ignored on receipt (RFC 5798 §5.2.6).
    interval: version === 2 ? b5 : ((b4 & 0x0f) << 8) | b5,
    checksum: ((buf[offset + 6] as number) << 8) | (buf[offset + 7] as number),
    addresses,
    authData,
    family,
  };
}

/**
 * Decodes the advert at `offset`; returns it and the offset after it. The checksum is not
 * verified (see checksumOk / validateAdvert). RangeError when the buffer is too short for what
 * the header says, or the version is neither 2 nor 3.
 */
export function decodeAdvert(buf: Uint8Array, offset: number, family: AddressFamily): [Advert, number] {
  if (!Number.isInteger(offset) || offset < 0 || offset + HEADER_LENGTH > buf.length) {
    throw new RangeError(`No VRRP header at offset ${offset} of a ${buf.length}-byte buffer`);
  }
  if (family !== 4 && family !== 6) throw new RangeError(`Unsupported address family ${String(family)}`);
  const version = (buf[offset] as number) >>> 4;
  if (version !== 2 && version !== 3) throw new RangeError(`Unsupported VRRP version ${version}`);
  const length = messageLength(version, family, buf[offset + 3] as number);
  if (offset + length > buf.length) {
    throw new RangeError(
      `VRRP v${version} advert with ${buf[offset + 3]} addresses needs ${length} bytes, ${buf.length - offset} left`,
    );
  }
  return [readAdvert(buf, offset, family), offset + length];
}

/**
 * Whether the checksum of the VRRP message `payload` (exactly the message, as after the IP header)
 * is right for the IP source and destination address bytes (as in the IP header). `pseudoHeader`
 * as in EncodeContext: it only matters for v3 over IPv4. False for fewer than 8 bytes or addresses
 * of the wrong length for `family`.
 */
export function checksumOk(
  payload: Uint8Array,
  family: AddressFamily,
  source: Uint8Array,
  destination: Uint8Array,
  pseudoHeader: boolean,
): boolean {
  if (payload.length < HEADER_LENGTH || payload.length > 0xffff) return false;
  let initial = 0;
  if (usesPseudoHeader((payload[0] as number) >>> 4, family, pseudoHeader)) {
    const length = addressLength(family);
    if (source.length !== length || destination.length !== length) return false;
    initial = pseudoHeaderSum(family, source, destination, payload.length);
  }
  // A right checksum makes the whole sum 0xffff (negative zero).
  return finishChecksum(onesComplementSum(payload, 0, payload.length, initial)) === 0;
}
