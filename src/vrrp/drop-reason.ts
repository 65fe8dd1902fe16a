/**
 * Why a received advertisement was dropped: one name per receive check of RFC 3768 §7.1 /
 * RFC 5798 §7.1 (plus the own-address filter and keepalived's unicast rules), so status can keep a
 * counter for each.
 */

/**
 * 'ttl' first, as RFC 5798 §7.1 lists it (validateAdvert() applies it once the layout is sound,
 * since the rule depends on the instance); the rest in the order validateAdvert() applies them.
 */
export const DROP_REASONS = [
  'ttl',
  'too-short',
  'version',
  'type',
  'address-count',
  'checksum',
  'own-address',
  'vrid',
  'version-mismatch',
  'auth-type',
  'auth-password',
  'interval',
  'destination',
  'unicast-source',
  'peer-ttl',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** One line per reason for logs and status output. */
export const DROP_REASON_TEXT: Readonly<Record<DropReason, string>> = Object.freeze({
  ttl: 'IP TTL / hop limit is not 255',
  'too-short': 'shorter than the VRRP header',
  version: 'VRRP version is neither 2 nor 3',
  type: 'packet type is not advertisement (1)',
  'address-count': 'address count does not match the packet length',
  checksum: 'checksum is wrong',
  'own-address': 'sent from one of our own addresses',
  vrid: 'no instance for this VRID',
  'version-mismatch': 'VRRP version differs from the instance',
  'auth-type': 'authentication type differs from the instance',
  'auth-password': 'authentication password differs from the instance',
  interval: 'advertisement interval differs from the instance (v2)',
  destination: 'unicast advert for a multicast instance, or multicast advert for a unicast instance',
  'unicast-source': 'source address is not one of the unicast peers',
  'peer-ttl': "IP TTL / hop limit outside the unicast peer's min_ttl..max_ttl",
});

export function isDropReason(value: unknown): value is DropReason {
  return typeof value === 'string' && (DROP_REASONS as readonly string[]).includes(value);
}

/** A zeroed counter per reason (the caller owns and mutates it). */
export function newDropCounters(): Record<DropReason, number> {
  const counters = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) counters[reason] = 0;
  return counters;
}
