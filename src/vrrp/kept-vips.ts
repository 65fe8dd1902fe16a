/**
 * The kept VIP ("refuser"), pure: when a master goes FAULT only because a service behind its VIPs
 * is certainly down (the process is dead or refuses connections), it keeps the VIPs for a bounded
 * while instead of dropping them at once.
 *
 * Why: while the address is still on this node, the kernel answers the clients' SYNs to the dead
 * port with a RST (RFC 9293 §3.10.7.1: a SYN to a CLOSED port gets a reset), so clients fail fast
 * and retry at once, and the retry lands on the new master as soon as its gratuitous ARP
 * (RFC 5227 §2.3 / RFC 5798 §6.4.2) moves the address. Dropped at once, the clients' packets go
 * to a MAC that no longer answers for the address until that GARP, and their connects and
 * retransmissions wait out TCP's timers (1 s for a SYN, RFC 6298 §2.1): the first write after
 * a PostgreSQL kill -9 took 1.07–1.17 s that way at advert_int 0.1.
 *
 * The VRRP state is FAULT all the same (priority 0 sent, no adverts), so the peer takes over at
 * once. The VIPs go when the peer is heard as MASTER and its service answers as the active copy
 * (plus PEER_ACTIVE_GRACE_MS for its GARP to go out), or at the latest the longest
 * Master_Down_Interval (priority 1) plus KEPT_VIPS_EXTRA_MS after the fault. Every other FAULT
 * cause (an interface down, a failed check script, a service that is hung or in an unknown
 * state) drops the VIPs at once, as before: only a certainly dead service is sure to refuse.
 */

/** After the peer is both MASTER and active: time for its gratuitous ARP to reach the clients. */
export const PEER_ACTIVE_GRACE_MS = 100;
/** Beyond the longest Master_Down_Interval: time for the peer's service to become active. */
export const KEPT_VIPS_EXTRA_MS = 600;

/** One fault source as the rule sees it. */
export interface FaultCause {
  /** The service behind the VIPs is certainly down (refuses connections): the VIPs may be kept. */
  readonly serviceDown: boolean;
}

/** VIPs may be kept only when every fault source set says the service is certainly down. */
export function mayKeepVips(causes: Iterable<FaultCause>): boolean {
  let any = false;
  for (const cause of causes) {
    if (!cause.serviceDown) return false;
    any = true;
  }
  return any;
}

/** A kept VIP: since when (the fault), and what has been heard of the peer since. */
export interface KeptVips {
  readonly since: number;
  /** since + longest Master_Down_Interval + KEPT_VIPS_EXTRA_MS. */
  readonly deadline: number;
  /** When an advert of a MASTER (priority > 0) was last heard after the fault. */
  readonly peerMasterAt?: number;
  /** When the peer's service was seen active (PostgreSQL: answering as primary) after the fault. */
  readonly peerActiveAt?: number;
}

export function keepVips(now: number, longestMasterDownMs: number): KeptVips {
  return { since: now, deadline: now + longestMasterDownMs + KEPT_VIPS_EXTRA_MS };
}

/** When the kept VIPs go: PEER_ACTIVE_GRACE_MS after the peer is both MASTER and active, or the deadline. */
export function keptVipsReleaseAt(kept: KeptVips): number {
  if (kept.peerMasterAt === undefined || kept.peerActiveAt === undefined) return kept.deadline;
  return Math.min(kept.deadline, Math.max(kept.peerMasterAt, kept.peerActiveAt) + PEER_ACTIVE_GRACE_MS);
}
