/**
 * One VRRP virtual router, as a pure state machine: events in, effects out.
 *
 * RFC 5798 §6 (and RFC 3768 §6 for v2, which differs only in timer units and in not learning
 * the master's interval). No sockets, no timers, no clock: the caller passes monotonic
 * milliseconds with each event and asks nextDeadline() when to deliver the next 'timer' event.
 *
 * Shape (after OpenBSD carp): one handler per event, each a switch on the state; every state
 * change goes through enterMaster / enterBackup / enterFault / enterInit, which are the only
 * places that emit VIP and announcement effects.
 */
import type { VrrpVersion } from './advert.js';
import { DOWN_TIMER_ADVERTS, masterDownIntervalMs, skewTimeMs } from './timers.js';

/** An advert may be sent this share of the advert interval early (see nextDeadlineSlack). */
export const ADVERT_EARLY_FRACTION = 0.02;
/** …but never more than this many milliseconds early. */
export const ADVERT_EARLY_MAX_MS = 1;

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** RFC 5798 §6.1: priority 255 is the address owner, 0 means "master is stopping". */
export const OWNER_PRIORITY = 255;
export const STOP_PRIORITY = 0;

export interface MachineConfig {
  version: VrrpVersion;
  /** Configured priority, 1..255; 255 = address owner. */
  priority: number;
  /** Our Advertisement_Interval in ms. */
  advertIntervalMs: number;
  /** RFC 5798 §6.1 Preempt_Mode; an owner always preempts. */
  preempt: boolean;
  /** keepalived preempt_delay: how long a lower-priority master is tolerated before preempting. */
  preemptDelayMs: number;
  /**
   * keepalived's default (its lower_prio_no_advert off): a master that hears a lower-priority
   * advert answers at once with one of its own, so the other side yields without waiting for
   * its next timer. RFC 5798 §6.4.3 says to discard it; keepalived 2.2.7 answers. We follow
   * keepalived by default so mixed pairs behave like keepalived pairs.
   */
  answerLowerPriority: boolean;
  /**
   * keepalived garp_lower_prio_repeat > 0: a master that hears a lower-priority advert also
   * announces its VIPs again (GARP / unsolicited NA), whether or not it answers. After a healed
   * split the other router had moved the clients to itself; this moves them back at once.
   */
  announceOnLowerPriority?: boolean;
  /**
   * keepalived higher_prio_send_advert: a master that yields to a higher priority first sends one
   * advert of its own. After a healed split the winner may otherwise never hear the loser (it
   * yields on the winner's first advert), and clients the loser had moved to itself stay there.
   * With it the winner hears a lower priority and announces (announceOnLowerPriority).
   */
  advertOnYield?: boolean;
  /** Emit 'lower-priority-heard' (notify_master_rx_lower_pri and its FIFO line). */
  reportLowerPriority?: boolean;
  /** Our primary address bytes (IPv4 primary / IPv6 link-local), for the tie-break of §6.4.3. */
  primaryAddress: Buffer;
  /** keepalived down_timer_adverts; the RFC value is 3. */
  downTimerAdverts?: number;
}

export interface ReceivedAdvert {
  priority: number;
  /** The sender's advertised interval in ms (v3: Max Adver Int; v2: must equal ours). */
  intervalMs: number;
  /** Sender's address bytes, compared with ours as unsigned numbers (RFC 5798 §6.4.3). */
  source: Buffer;
  /** Sender's address as text, for status and the transition reason. */
  from: string;
}

export type MachineEvent =
  | { type: 'startup' }
  | { type: 'shutdown' }
  | { type: 'advert'; advert: ReceivedAdvert }
  | { type: 'timer' }
  | { type: 'priority'; priority: number }
  | { type: 'fault'; reason: string }
  | { type: 'recover'; reason: string }
  /** Maintenance: while held, a backup never takes over (hotstandby's planned switchover). */
  | { type: 'hold'; on: boolean }
  /** A held master that nobody displaced leaves gracefully: priority 0, VIPs released, BACKUP. */
  | { type: 'step-down'; reason: string }
  /** vrrp_sync_group: another member changed state and this one follows (keepalived). */
  | { type: 'sync'; to: 'MASTER' | 'BACKUP'; reason: string }
  /** The configuration was reloaded in place. */
  | { type: 'reload' };

export type Effect =
  | { type: 'send-advert'; priority: number }
  | { type: 'add-vips' }
  | { type: 'remove-vips' }
  /**
   * Not master, and not having been master in this run: make sure no configured VIP is left on
   * the interface by an earlier run (kill -9 leaves them; keepalived removes them on start).
   */
  | { type: 'remove-stale-vips' }
  /** Gratuitous ARP / unsolicited NA burst for the VIPs (RFC 5798 §6.4.2). */
  | { type: 'announce' }
  /** A master heard a lower priority: announce again on keepalived's garp_lower_prio schedule. */
  | { type: 'reannounce' }
  /** A master heard a lower priority (keepalived notify_master_rx_lower_pri). */
  | { type: 'lower-priority-heard'; from: string; priority: number }
  | { type: 'transition'; from: VrrpState; to: VrrpState; reason: string };

export class VrrpMachine {
  private currentState: VrrpState = 'INIT';
  private effectivePriority: number;
  private masterAdverIntervalMs: number;
  private adverDeadline: number | undefined;
  private masterDownDeadline: number | undefined;
  /** keepalived preempt_delay: when a lower-priority master may be preempted (set on first sight). */
  private preemptAllowedAt: number | undefined;
  private faulted = false;
  private held = false;
  private masterAddress: string | undefined;
  /** The followed master's address bytes while backup (see followsAnotherMaster). */
  private masterSource: Buffer | undefined;
  /** While master: when it last sent an advert (see noticeStall). */
  private lastSentAt: number | undefined;
  /** A master back from a stall listens until then before it advertises again (see noticeStall). */
  private stallListenUntil: number | undefined;
  /** How long that stall was, for the reason of the transition. */
  private stalledForMs = 0;

  constructor(private readonly config: MachineConfig) {
    if (config.priority < 1 || config.priority > OWNER_PRIORITY) {
      throw new RangeError(`Priority must be 1..255, got ${config.priority}`);
    }
    if (!(config.advertIntervalMs > 0)) throw new RangeError(`Advert interval must be positive, got ${config.advertIntervalMs}`);
    this.effectivePriority = config.priority;
    this.masterAdverIntervalMs = config.advertIntervalMs;
  }

  get state(): VrrpState {
    return this.currentState;
  }

  get priority(): number {
    return this.effectivePriority;
  }

  /** The master as last seen: our own address while master, the sender of accepted adverts while backup. */
  get lastMasterAddress(): string | undefined {
    return this.masterAddress;
  }

  get learnedAdverIntervalMs(): number {
    return this.masterAdverIntervalMs;
  }

  skewTimeMs(): number {
    return skewTimeMs(this.config.version, this.effectivePriority, this.masterAdverIntervalMs);
  }

  masterDownIntervalMs(): number {
    return masterDownIntervalMs(
      this.config.version,
      this.effectivePriority,
      this.masterAdverIntervalMs,
      this.config.downTimerAdverts ?? DOWN_TIMER_ADVERTS,
    );
  }

  /** When the caller must deliver the next 'timer' event, or undefined when no timer runs. */
  nextDeadline(): number | undefined {
    if (this.currentState === 'MASTER') return this.adverDeadline;
    if (this.currentState === 'BACKUP' && !this.held) return this.masterDownDeadline;
    return undefined;
  }

  /**
   * How much earlier than nextDeadline() a 'timer' event may come and still count: a master's
   * advert may leave up to ADVERT_EARLY_FRACTION of the interval (at most ADVERT_EARLY_MAX_MS)
   * early, so a daemon running many instances sends the adverts that fall due together in one
   * wake-up. Backups hear nothing the earlier for it (RFC 5798 §6.4.2 only bounds the interval
   * from above, through Master_Down_Interval). The master-down timer is never early: 0.
   */
  nextDeadlineSlack(): number {
    if (this.currentState !== 'MASTER') return 0;
    return Math.min(ADVERT_EARLY_MAX_MS, this.config.advertIntervalMs * ADVERT_EARLY_FRACTION);
  }

  get onHold(): boolean {
    return this.held;
  }

  handle(now: number, event: MachineEvent): Effect[] {
    if (this.currentState === 'MASTER') this.noticeStall(now);
    const effects = this.dispatch(now, event);
    if (this.currentState !== 'MASTER') {
      this.lastSentAt = undefined;
      this.stallListenUntil = undefined;
    } else if (effects.some((e) => e.type === 'send-advert')) {
      this.lastSentAt = now;
    }
    return effects;
  }

  /** True while a master back from a stall listens for a peer that took over (see noticeStall). */
  get listeningAfterStall(): boolean {
    return this.stallListenUntil !== undefined;
  }

  /**
   * A master that sent nothing for a whole Master_Down_Interval of an equal-priority backup (its
   * process was stopped: SIGSTOP, a VM pause, a stalled event loop) may have been replaced
   * meanwhile, and the new master's data moved on (a promoted database took writes). Winning the
   * equal-priority tie back by its higher address (RFC 5798 §6.4.3) would be a second failover of
   * no use. So before it advertises again it listens for one interval plus Skew_Time; an
   * equal-priority advert heard then means a peer took over, and it yields (masterReceive).
   * Nothing changes on the wire: it only stays silent a little longer, which backups see as the
   * stall continuing. A higher priority wins as always; a lower one is still preempted.
   */
  private noticeStall(now: number): void {
    if (this.stallListenUntil !== undefined || this.lastSentAt === undefined) return;
    const silentMs = now - this.lastSentAt;
    const peerDownMs = masterDownIntervalMs(this.config.version, this.effectivePriority, this.config.advertIntervalMs, this.config.downTimerAdverts ?? DOWN_TIMER_ADVERTS);
    if (silentMs < peerDownMs) return;
    this.stalledForMs = silentMs;
    this.stallListenUntil = now + this.config.advertIntervalMs + skewTimeMs(this.config.version, this.effectivePriority, this.config.advertIntervalMs);
    this.adverDeadline = this.stallListenUntil;
  }

  private dispatch(now: number, event: MachineEvent): Effect[] {
    switch (event.type) {
      case 'startup':
        return this.startup(now);
      case 'shutdown':
        return this.shutdown();
      case 'advert':
        return this.receiveAdvert(now, event.advert);
      case 'timer':
        return this.timerFired(now);
      case 'priority':
        return this.priorityChanged(now, event.priority);
      case 'fault':
        return this.fault(event.reason);
      case 'recover':
        return this.recover(now, event.reason);
      case 'hold':
        return this.hold(now, event.on);
      case 'step-down':
        return this.stepDown(now, event.reason);
      case 'sync':
        return this.follow(now, event.to, event.reason);
      case 'reload':
        return this.currentState === 'BACKUP' || this.currentState === 'FAULT' ? [{ type: 'remove-stale-vips' }] : [];
    }
  }

  /** RFC 5798 §6.4.1: an owner becomes master at once, everyone else starts as backup. */
  private startup(now: number): Effect[] {
    if (this.currentState !== 'INIT') return [];
    if (this.faulted) return this.enterFault('startup with a fault present');
    return this.isOwner() ? this.enterMaster(now, 'startup as address owner (priority 255)') : this.enterBackup(now, 'startup');
  }

  /** RFC 5798 §6.4.3 "Shutdown": a master says goodbye with priority 0 so backups take over after Skew_Time. */
  private shutdown(): Effect[] {
    return this.enterInit('shutdown');
  }

  private receiveAdvert(now: number, advert: ReceivedAdvert): Effect[] {
    switch (this.currentState) {
      case 'BACKUP':
        return this.backupReceive(now, advert);
      case 'MASTER':
        return this.masterReceive(now, advert);
      case 'INIT':
      case 'FAULT':
        return [];
    }
  }

  /** RFC 5798 §6.4.2, receiving in Backup. */
  private backupReceive(now: number, advert: ReceivedAdvert): Effect[] {
    if (advert.priority === STOP_PRIORITY) {
      // The master is stopping: take over after Skew_Time, so the best backup goes first.
      this.masterDownDeadline = now + this.skewTimeMs();
      return [];
    }
    const lowerThanUs = advert.priority < this.effectivePriority;
    // A lower priority from another router while the master we follow is still within its
    // Master_Down_Interval: a master yielding to ours (advertOnYield) or a stale one. Discarded
    // (RFC 5798 §6.4.2); only the master we follow dropping below us calls for a fast preempt.
    if (lowerThanUs && this.preempts() && this.followsAnotherMaster(now, advert)) return [];
    if (!this.preempts() || !lowerThanUs || this.withinPreemptDelay(now)) {
      this.acceptMaster(now, advert);
      return [];
    }
    // A lower-priority master and we preempt: RFC 5798 §6.4.2 discards the advert and lets the
    // Master_Down_Timer run out. We also cut the timer to Skew_Time so a master whose priority
    // dropped (a failed check) is replaced promptly; the outcome is the election the RFC gives.
    const preemptAt = now + this.skewTimeMs();
    if (this.masterDownDeadline === undefined || preemptAt < this.masterDownDeadline) {
      this.masterDownDeadline = preemptAt;
    }
    return [];
  }

  /** RFC 5798 §6.4.3, receiving in Master. */
  private masterReceive(now: number, advert: ReceivedAdvert): Effect[] {
    if (this.stallListenUntil !== undefined) return this.receiveAfterStall(now, advert);
    if (advert.priority === STOP_PRIORITY) {
      // Another master is leaving: assert ourselves at once.
      this.adverDeadline = now + this.config.advertIntervalMs;
      return [{ type: 'send-advert', priority: this.effectivePriority }];
    }
    if (this.isBetterThanUs(advert)) {
      this.learnInterval(advert);
      const yielded = this.enterBackup(now, `advert from ${advert.from} with priority ${advert.priority} (ours ${this.effectivePriority})`, advert.from, advert.source);
      return this.config.advertOnYield ? [{ type: 'send-advert', priority: this.effectivePriority }, ...yielded] : yielded;
    }
    const effects: Effect[] = [];
    if (this.config.answerLowerPriority) {
      // keepalived ("forcing new election"): answer so the other router yields now.
      this.adverDeadline = now + this.config.advertIntervalMs;
      effects.push({ type: 'send-advert', priority: this.effectivePriority });
    }
    // keepalived vrrp_state_master_rx: GARPs follow whether or not it answered, then the notify.
    if (this.config.announceOnLowerPriority) effects.push({ type: 'reannounce' });
    if (this.config.reportLowerPriority) effects.push({ type: 'lower-priority-heard', from: advert.from, priority: advert.priority });
    return effects;
  }

  /**
   * A master listening after a stall (see noticeStall) sends nothing: the adverts it reads may be
   * a backlog from several stand-ins, and any advert of ours would win an equal-priority tie at
   * the master that took over. A priority at least ours means a peer took over: it yields. A
   * lower one is left to the advert at the end of the listen, which preempts it as usual.
   */
  private receiveAfterStall(now: number, advert: ReceivedAdvert): Effect[] {
    if (advert.priority === STOP_PRIORITY || advert.priority < this.effectivePriority) return [];
    this.learnInterval(advert);
    const why = this.isBetterThanUs(advert)
      ? `advert from ${advert.from} with priority ${advert.priority} (ours ${this.effectivePriority})`
      : `advert from ${advert.from} with our priority ${advert.priority} after we sent nothing for ${Math.round(this.stalledForMs)} ms (stopped): it took over meanwhile, so it keeps the role`;
    return this.enterBackup(now, why, advert.from, advert.source);
  }

  private timerFired(now: number): Effect[] {
    switch (this.currentState) {
      case 'MASTER': {
        if (this.adverDeadline === undefined || now < this.adverDeadline - this.nextDeadlineSlack()) return [];
        // Back from a stall: nobody took over during the listen, advertise again.
        this.stallListenUntil = undefined;
        // Keep the cadence when woken a little late; restart it when woken very late.
        const next = this.adverDeadline + this.config.advertIntervalMs;
        this.adverDeadline = next > now ? next : now + this.config.advertIntervalMs;
        return [{ type: 'send-advert', priority: this.effectivePriority }];
      }
      case 'BACKUP':
        if (this.held || this.masterDownDeadline === undefined || now < this.masterDownDeadline) return [];
        return this.enterMaster(now, 'master-down timer expired');
      case 'INIT':
      case 'FAULT':
        return [];
    }
  }

  private priorityChanged(now: number, priority: number): Effect[] {
    if (this.isOwner()) return []; // an owner's 255 is never changed
    if (priority < 1 || priority > OWNER_PRIORITY - 1) {
      throw new RangeError(`Effective priority must be 1..254, got ${priority}`);
    }
    if (priority === this.effectivePriority) return [];
    this.effectivePriority = priority;
    if (this.currentState !== 'MASTER' || this.stallListenUntil !== undefined) return [];
    // Tell the backups now rather than at the next interval, so a lower priority is acted on promptly.
    this.adverDeadline = now + this.config.advertIntervalMs;
    return [{ type: 'send-advert', priority }];
  }

  private fault(reason: string): Effect[] {
    this.faulted = true;
    if (this.currentState === 'INIT' || this.currentState === 'FAULT') return [];
    return this.enterFault(reason);
  }

  private recover(now: number, reason: string): Effect[] {
    this.faulted = false;
    if (this.currentState !== 'FAULT') return [];
    return this.isOwner() ? this.enterMaster(now, reason) : this.enterBackup(now, reason);
  }

  private hold(now: number, on: boolean): Effect[] {
    this.held = on;
    // Back in service: listen for a master from now on, as after startup.
    if (!on && this.currentState === 'BACKUP') this.masterDownDeadline = now + this.masterDownIntervalMs();
    return [];
  }

  private follow(now: number, to: 'MASTER' | 'BACKUP', reason: string): Effect[] {
    if (to === 'MASTER' && this.currentState === 'BACKUP' && !this.held) return this.enterMaster(now, reason);
    if (to === 'BACKUP' && this.currentState === 'MASTER') return this.enterBackup(now, reason);
    return [];
  }

  private stepDown(now: number, reason: string): Effect[] {
    if (this.currentState !== 'MASTER') return [];
    const effects = this.enterBackup(now, reason);
    // Like a shutdown (RFC 5798 §6.4.3): priority 0 lets the backups take over after Skew_Time.
    effects.splice(1, 0, { type: 'send-advert', priority: STOP_PRIORITY });
    return effects;
  }

  // ---- state changes: the only places with VIP and announcement side effects ----

  /** RFC 5798 §6.4.1 / §6.4.2: send an advert, announce the VIPs, start the Adver_Timer. */
  private enterMaster(now: number, reason: string): Effect[] {
    const from = this.currentState;
    this.currentState = 'MASTER';
    this.masterDownDeadline = undefined;
    this.preemptAllowedAt = undefined;
    this.adverDeadline = now + this.config.advertIntervalMs;
    this.masterAddress = undefined;
    this.masterSource = undefined;
    // The transition (logs, hooks) comes last: the advert and the GARPs are what the network waits for.
    return [
      { type: 'add-vips' },
      { type: 'send-advert', priority: this.effectivePriority },
      { type: 'announce' },
      { type: 'transition', from, to: 'MASTER', reason },
    ];
  }

  private enterBackup(now: number, reason: string, master?: string, masterSource?: Buffer): Effect[] {
    const from = this.currentState;
    this.currentState = 'BACKUP';
    this.adverDeadline = undefined;
    this.preemptAllowedAt = undefined;
    this.masterAddress = master;
    this.masterSource = masterSource;
    if (from !== 'MASTER') this.masterAdverIntervalMs = this.config.advertIntervalMs; // §6.4.1
    this.masterDownDeadline = now + this.masterDownIntervalMs();
    const effects: Effect[] = [{ type: 'transition', from, to: 'BACKUP', reason }];
    effects.push({ type: from === 'MASTER' ? 'remove-vips' : 'remove-stale-vips' });
    return effects;
  }

  private enterFault(reason: string): Effect[] {
    return this.leaveTo('FAULT', reason);
  }

  private enterInit(reason: string): Effect[] {
    return this.leaveTo('INIT', reason);
  }

  /** Leaving service (shutdown or fault): a master sends priority 0 (RFC 5798 §6.4.3) and releases the VIPs. */
  private leaveTo(to: 'INIT' | 'FAULT', reason: string): Effect[] {
    const from = this.currentState;
    if (from === to) return [];
    this.currentState = to;
    this.adverDeadline = undefined;
    this.masterDownDeadline = undefined;
    this.preemptAllowedAt = undefined;
    this.masterAddress = undefined;
    this.masterSource = undefined;
    const effects: Effect[] = [{ type: 'transition', from, to, reason }];
    if (from === 'MASTER') effects.push({ type: 'send-advert', priority: STOP_PRIORITY }, { type: 'remove-vips' });
    else if (to === 'FAULT') effects.push({ type: 'remove-stale-vips' });
    return effects;
  }

  // ---- helpers ----

  /** Whether we follow a master other than the advert's sender whose Master_Down_Interval still runs. */
  private followsAnotherMaster(now: number, advert: ReceivedAdvert): boolean {
    return (
      this.masterSource !== undefined &&
      !this.masterSource.equals(advert.source) &&
      this.masterDownDeadline !== undefined &&
      now < this.masterDownDeadline
    );
  }

  private acceptMaster(now: number, advert: ReceivedAdvert): void {
    this.learnInterval(advert);
    this.masterAddress = advert.from;
    this.masterSource = advert.source;
    this.masterDownDeadline = now + this.masterDownIntervalMs();
  }

  /** v3 learns Master_Adver_Interval from the master's adverts (RFC 5798 §6.4.2); v2 requires equality. */
  private learnInterval(advert: ReceivedAdvert): void {
    if (this.config.version === 3 && advert.intervalMs > 0) this.masterAdverIntervalMs = advert.intervalMs;
  }

  /** RFC 5798 §6.4.3: higher priority, or equal priority and a higher primary address. */
  private isBetterThanUs(advert: ReceivedAdvert): boolean {
    if (advert.priority !== this.effectivePriority) return advert.priority > this.effectivePriority;
    return Buffer.compare(advert.source, this.config.primaryAddress) > 0;
  }

  private withinPreemptDelay(now: number): boolean {
    if (this.config.preemptDelayMs <= 0) return false;
    this.preemptAllowedAt ??= now + this.config.preemptDelayMs;
    return now < this.preemptAllowedAt;
  }

  /** RFC 5798 §6.1: "the exception is that a 255 priority router always preempts". */
  private preempts(): boolean {
    return this.config.preempt || this.isOwner();
  }

  private isOwner(): boolean {
    return this.config.priority === OWNER_PRIORITY;
  }
}
