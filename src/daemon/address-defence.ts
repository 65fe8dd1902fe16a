/**
 * A master defends its VIPs (after RFC 5227 §2.4 (b), "Ongoing Address Conflict Detection and
 * Address Defense"): when another MAC announces one of them, it announces them again.
 *
 * Why: a backup that took over during a lossy or filtered spell moved the clients to itself with
 * its GARPs. When it yields, the master hears that only from its adverts (keepalived's
 * garp_lower_prio_repeat, announceOnLowerPriority); if none of them reached the master, the
 * clients kept sending to the backup until their neighbour entries expired. The other router's
 * GARP (or unsolicited NA) itself is the surer sign: it is what moved the clients.
 *
 * When: not at once, while the other router may still be master and would defend in turn, but
 * `settleMs` after the claim (two advert intervals: time for it to hear our advert and yield).
 * Against a router that stays master (a real split, VRRP blocked and ARP not) or forged claims,
 * the gaps between defences double from 1 s up to 32 s, so two defenders never flap clients faster
 * than that and a flood costs nothing but the parse; after a minute without claims they start
 * again at 1 s. A claim never postpones a defence already due (a flood cannot starve it).
 */
import type { Clock, Timers } from '../ports/index.js';

export const FIRST_DEFENCE_GAP_MS = 1_000;
export const LAST_DEFENCE_GAP_MS = 32_000;
/** Claims this far apart are separate conflicts: the gap starts again at FIRST_DEFENCE_GAP_MS. */
export const QUIET_RESET_MS = 60_000;

export interface DefenceEvents {
  /** Announces the VIPs again; false when it did not (not master by then). */
  defend(): boolean;
  /** A claim started a defence (logged once per defence, not per frame). */
  scheduled?(claimedBy: string, inMs: number): void;
}

export class AddressDefence {
  private cancel: (() => void) | undefined;
  private lastClaimAt: number | undefined;
  private lastDefenceAt: number | undefined;
  private gapMs = FIRST_DEFENCE_GAP_MS;
  private defences = 0;
  private claims = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly settleMs: number,
    private readonly events: DefenceEvents,
  ) {}

  /** Defences sent and claims heard so far. */
  get counts(): { claims: number; defences: number } {
    return { claims: this.claims, defences: this.defences };
  }

  /** Another MAC (`claimedBy`) announced one of our VIPs while we are master. */
  claimHeard(claimedBy: string): void {
    const now = this.clock.now();
    this.claims++;
    if (this.lastClaimAt !== undefined && now - this.lastClaimAt > QUIET_RESET_MS) this.gapMs = FIRST_DEFENCE_GAP_MS;
    this.lastClaimAt = now;
    if (this.cancel !== undefined) return;
    const at = Math.max(now + this.settleMs, this.lastDefenceAt === undefined ? now : this.lastDefenceAt + this.gapMs);
    this.events.scheduled?.(claimedBy, at - now);
    this.cancel = this.timers.at(at, () => this.fire());
  }

  /** Drops a pending defence (we left master, or the instance is going away). */
  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private fire(): void {
    this.cancel = undefined;
    if (!this.events.defend()) return;
    this.defences++;
    if (this.lastDefenceAt !== undefined) this.gapMs = Math.min(this.gapMs * 2, LAST_DEFENCE_GAP_MS);
    this.lastDefenceAt = this.clock.now();
  }
}
