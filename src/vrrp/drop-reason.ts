/**
 * Why a received advertisement was dropped: one name per receive check of RFC 3768 §7.1 /
 * RFC 5798 §7.1 (plus the own-address filter), so status can keep a counter for each.
 */

/** In the order validateAdvert() applies the checks. */
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
