/**
 * Receive checks for an advertisement (RFC 3768 §7.1, RFC 5798 §7.1) as one sequence that ends in
 * a verdict. Network input never throws here: every malformed packet is a drop with a reason.
 *
 * Order: header length, version, type, length against the address count, TTL (the rule depends
 * on the instance of the VRID), checksum, own source address, then (only with an instance lookup)
 * VRID, version of the instance, for v2 the authentication type, password and advertisement
 * interval, and keepalived's unicast rules (destination kind, peer source, peer TTL range).
 *
 * Addresses stay bytes, as the socket read them from the IP header (RFC 791 / RFC 8200): no text
 * on the receive path.
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
import { addressesEqual, isMulticastAddress } from './ip-address.js';

/** What the socket layer knows about the packet the payload came in. */
export interface ReceiveContext {
  family: AddressFamily;
  /** IP source address, 4 or 16 bytes as in the IP header. */
  source: Uint8Array;
  /** IP destination address (multicast group or our unicast address), bytes as in the IP header. */
  destination: Uint8Array;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** Our own addresses: adverts from them are our own, looped back. */
  ownAddresses?: readonly Uint8Array[];
}

/** A keepalived unicast_peer with its accepted TTL range (min_ttl / max_ttl, default 0..255). */
export interface UnicastPeerRule {
  address: Uint8Array;
  minTtl: number;
  maxTtl: number;
}

/** What validation needs to know about the local instance for a VRID. */
export interface InstanceRules {
  version: VrrpVersion;
  /** v2 simple text password (auth type 1); undefined means auth type 0. */
  authPass?: string;
  advertIntervalMs: number;
  /** keepalived's v3_checksum_as_v2: v3 over IPv4 checksummed without the pseudo-header. */
  v3ChecksumExcludesPseudoHeader: boolean;
  /** keepalived unicast_peer; none (the default) = a multicast instance, which wants TTL 255. */
  unicastPeers?: readonly UnicastPeerRule[];
  /** keepalived check_unicast_src: unicast adverts only from the peers, within their TTL range. */
  checkUnicastSource?: boolean;
}

export type InstanceLookup = (vrid: number) => InstanceRules | undefined;

/** The advert is attached to every drop once the packet's layout is sound ('ttl' on). */
export type AdvertVerdict =
  | { ok: true; advert: Advert }
  | { ok: false; reason: DropReason; advert?: Advert };

function drop(reason: DropReason, advert?: Advert): AdvertVerdict {
  return advert === undefined ? { ok: false, reason } : { ok: false, reason, advert };
}

function isOwnAddress(source: Uint8Array, own: readonly Uint8Array[] | undefined): boolean {
  if (own === undefined) return false;
  for (const address of own) if (addressesEqual(address, source)) return true;
  return false;
}

/**
 * Checks the VRRP message `payload` (exactly the bytes after the IP header) received as `rx`.
 * With `lookup`, checks it against the local instance for its VRID; without (sniffing), only
 * what needs no configuration, with the checksum in the standard form (v3 with pseudo-header)
 * and the TTL rule of a multicast instance.
 */
export function validateAdvert(payload: Uint8Array, rx: ReceiveContext, lookup?: InstanceLookup): AdvertVerdict {
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
  const peers = rules?.unicastPeers;
  const unicastMode = peers !== undefined && peers.length > 0;
  // RFC 3768 §7.1 / RFC 5798 §7.1: MUST verify that the IP TTL / hop limit is 255, whatever the
  // destination: it is what keeps off-link senders out. keepalived waives it only for an instance
  // with unicast peers (whose adverts may be routed), which checks the peers' TTL range instead.
  if (!unicastMode && rx.ttl !== VRRP_TTL) return drop('ttl', advert);
  // MUST verify the VRRP checksum, in the one form the instance uses (standard when unknown).
  const pseudoHeader = !(version === 3 && rules !== undefined && rules.v3ChecksumExcludesPseudoHeader);
  if (!checksumOk(payload, family, rx.source, rx.destination, pseudoHeader)) return drop('checksum', advert);
  if (isOwnAddress(rx.source, rx.ownAddresses)) return drop('own-address', advert);
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
  // keepalived 2.2.7 (vrrp_check_packet): a multicast instance takes only multicast adverts and a
  // unicast instance only unicast ones.
  if (isMulticastAddress(rx.destination) === unicastMode) return drop('destination', advert);
  if (unicastMode && rules.checkUnicastSource === true) {
    // keepalived vrrp_check_unicast_src / check_unicast_src: only from a configured peer, and with
    // a TTL in that peer's min_ttl..max_ttl.
    const peer = peers.find((p) => addressesEqual(p.address, rx.source));
    if (peer === undefined) return drop('unicast-source', advert);
    if (rx.ttl < peer.minTtl || rx.ttl > peer.maxTtl) return drop('peer-ttl', advert);
  }
  return { ok: true, advert };
}
