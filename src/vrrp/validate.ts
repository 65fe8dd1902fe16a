/**
 * Receive checks for an advertisement (RFC 3768 §7.1, RFC 5798 §7.1) as one sequence that ends in
 * a verdict. Network input never throws here: every malformed packet is a drop with a reason.
 *
 * Order: TTL, header length, version, type, length against the address count, checksum,
 * own source address, then (only with an instance lookup) VRID, version of the instance, and for
 * v2 the authentication type, password and advertisement interval.
 */
import {
  ADVERTISEMENT_TYPE,
  AUTH_DATA_LENGTH,
  AUTH_NONE,
  AUTH_SIMPLE_TEXT,
  VRRP_TTL,
  type Advert,
  type AddressFamily,
  type VrrpVersion,
} from './advert.js';
import { HEADER_LENGTH, authDataMatches, checksumOk, hasAuthData, messageLength, readAdvert } from './codec.js';
import type { DropReason } from './drop-reason.js';

/** What the socket layer knows about the packet the payload came in. */
export interface ReceiveContext {
  family: AddressFamily;
  /** IP source address, canonical text (canonicalIp) so it compares with ownAddresses. */
  source: string;
  /** IP destination address (multicast group or our unicast address). */
  destination: string;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** RFC 3768 §7.1 / RFC 5798 §7.1 TTL 255 rule; unicast mode may relax it, as keepalived does. */
  requireTtl255: boolean;
  /** Our own addresses (canonical text): adverts from them are our own, looped back. */
  ownAddresses?: ReadonlySet<string>;
}

/** What validation needs to know about the local instance for a VRID. */
export interface InstanceRules {
  version: VrrpVersion;
  /** v2 simple text password (auth type 1); undefined means auth type 0. */
  authPass?: string;
  advertIntervalMs: number;
  /** keepalived's v3_checksum_as_v2: v3 over IPv4 checksummed without the pseudo-header. */
  v3ChecksumExcludesPseudoHeader: boolean;
}

export type InstanceLookup = (vrid: number) => InstanceRules | undefined;

/** The advert is attached to drops from 'checksum' on, once the packet's layout is sound. */
export type AdvertVerdict =
  | { ok: true; advert: Advert }
  | { ok: false; reason: DropReason; advert?: Advert };

function drop(reason: DropReason, advert?: Advert): AdvertVerdict {
  return advert === undefined ? { ok: false, reason } : { ok: false, reason, advert };
}

/**
 * Checks the VRRP message `payload` (exactly the bytes after the IP header) received as `rx`.
 * With `lookup`, checks it against the local instance for its VRID; without (sniffing), only
 * what needs no configuration, with the checksum in the standard form (v3 with pseudo-header).
 */
export function validateAdvert(payload: Uint8Array, rx: ReceiveContext, lookup?: InstanceLookup): AdvertVerdict {
  // RFC 3768 §7.1 / RFC 5798 §7.1: MUST verify that the IP TTL / hop limit is 255.
  if (rx.requireTtl255 && rx.ttl !== VRRP_TTL) return drop('ttl');
  const length = payload.length;
  if (length < HEADER_LENGTH) return drop('too-short');
  const first = payload[0] as number;
  // MUST verify the VRRP version (either version is understood; the instance check comes later).
  const version = first >>> 4;
  if (version !== 2 && version !== 3) return drop('version');
  // RFC 3768 §5.3.2 / RFC 5798 §5.2.2: advertisement is the only type.
  if ((first & 0x0f) !== ADVERTISEMENT_TYPE) return drop('type');
  const family = rx.family;
  if (hasAuthData(version, family) && length < HEADER_LENGTH + AUTH_DATA_LENGTH) return drop('too-short');
  // MUST verify that the packet contains the complete VRRP packet: exactly what the count says.
  if (length !== messageLength(version, family, payload[3] as number)) return drop('address-count');

  const advert = readAdvert(payload, 0, family);
  const rules = lookup === undefined ? undefined : lookup(advert.vrid);
  // MUST verify the VRRP checksum, in the one form the instance uses (standard when unknown).
  const pseudoHeader = !(version === 3 && rules !== undefined && rules.v3ChecksumExcludesPseudoHeader);
  if (!checksumOk(payload, family, rx.source, rx.destination, pseudoHeader)) return drop('checksum', advert);
  if (rx.ownAddresses !== undefined && rx.ownAddresses.has(rx.source)) return drop('own-address', advert);
  if (lookup === undefined) return { ok: true, advert };

  // MUST verify that the VRID is configured on the receiving interface.
  if (rules === undefined) return drop('vrid', advert);
  if (version !== rules.version) return drop('version-mismatch', advert);
  if (version === 2) {
    // RFC 3768 §7.1: MUST verify that the Auth Type matches the local method, and perform it.
    const authType = rules.authPass !== undefined ? AUTH_SIMPLE_TEXT : AUTH_NONE;
    if (advert.authType !== authType) return drop('auth-type', advert);
    if (
      rules.authPass !== undefined &&
      (advert.authData.length !== AUTH_DATA_LENGTH || !authDataMatches(advert.authData, 0, rules.authPass))
    ) {
      return drop('auth-password', advert);
    }
    // RFC 3768 §7.1: MUST verify that the Adver Interval is the locally configured one.
    // (v3 adopts the master's interval instead, RFC 5798 §6.4.2, so it is not checked.)
    if (advert.interval * 1000 !== rules.advertIntervalMs) return drop('interval', advert);
  }
  return { ok: true, advert };
}
