/**
 * The `postgresql` resource driver (issue 11 §2): one PostgreSQL 15 cluster that is the primary
 * while this node is MASTER and a synchronous streaming standby of the peer otherwise.
 *
 * - start: the standby shape. An empty data directory is cloned from the peer (pg_basebackup);
 *   an old primary is fenced and rejoins (pg_rewind, or a fresh clone when rewind cannot work).
 * - promote: only when eligible (eligibility.ts) and, with a witness, after winning its
 *   compare-and-swap; synchronous_standby_names is set to the peer first, then pg_promote.
 * - demote: fencing at once (immediate shutdown: no waiting commit is acknowledged), then the
 *   rejoin runs in the background.
 * - monitor: reads both servers, learns, decides eligibility; on a standby that stopped
 *   streaming from a primary it starts the rejoin in the background (the role does not change).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../ports/index.js';
import type { Eligibility, MonitorResult, OperationContext, ResourceDriver, ResourceHost } from '../resource.js';
import { resolveScriptUser } from '../../check/script-security.js';
import { createPairRoles, initdbForPair } from './bootstrap.js';
import { pgPrograms, type PgPrograms, type RunAs } from './commands.js';
import { writeStandbySignal } from './conf-files.js';
import { cloneFrom, configureStandby, ensureDataDir, rewindFrom, type PeerAddress } from './copy.js';
import { decideEligibility, followsPrimary, learn, tallyFollowing, type FollowTally, type Knowledge, type LocalState, type PeerState } from './eligibility.js';
import { loadKnowledge, saveKnowledge } from './knowledge-file.js';
import { awaitReaped, describeServer, inspectLocal, inspectPeer, isStandbyConfigured, localEndpoint, postmasterPid, serverLogPath, startServer, stopServer } from './server.js';
import { isNotReadableYet, lastServerLine, notReadableReason, parseControlData, readRecoveryTitles, readTail, RecoveryWatch } from './recovery-progress.js';
import { peerHost, type PostgresqlSettings } from './settings.js';
import { watchSession, withSession, type Endpoint } from './sql.js';
import { slotName } from './sql-names.js';
import { currentSyncNames, dropPeerSlotInRecovery, ensurePeerSlot, peerReplication, setSyncNames, syncSettingsAre, syncStandbyNames, type PeerReplication } from './sync-names.js';
import { promotionClaim, resyncStep } from './witness-protocol.js';
import { nullWitness, sameRecord, type PrimaryRecord, type PrimaryWitness } from './witness.js';
import { systemIdentifiers } from './system-id.js';
import { forkedOnSameTimeline, newestLocalHistory, peerHistory } from './timeline-fork.js';
import type { PostgresqlHealthView } from './health.js';
import { handoverBlocker } from './handover.js';
import { walDirOf, WalPreallocKeeper } from './wal-prealloc-keeper.js';

export interface PostgresqlDriverOptions {
  readonly witness?: PrimaryWitness;
  /** Who runs PostgreSQL's programs; default: settings.osUser from /etc/passwd. */
  readonly runAs?: RunAs;
  /** Budget of the peer query inside monitor (the peer may be dead; monitor must stay quick). */
  readonly peerTimeoutMs?: number;
  /** How long a background rejoin (rewind / clone) may take. */
  readonly rejoinTimeoutMs?: number;
  /** Monitor rounds a standby may not stream from a live primary before the rejoin starts. */
  readonly notStreamingRounds?: number;
  /**
   * How long a standby that does not answer queries yet may show no recovery progress before it
   * counts as stuck and is rejoined again (recovery-progress.ts); default 30 s.
   */
  readonly stuckRecoveryMs?: number;
}

type Wanted = 'none' | 'standby' | 'primary';

/** How long promote asks the peer when a witness arbitrates (a dead peer's host answers nothing). */
const PROMOTE_PEER_BUDGET_MS = 400;
/** With a witness, how long a primary's monitor round asks the peer (the record decides, not the peer). */
const PRIMARY_PEER_BUDGET_MS = 300;
/** With a witness, how long promote still waits for the peer once the record is in. */
const PEER_GRACE_MS = 50;
/** How long promote keeps asking a witness that does not answer (an etcd leader election), and how often. */
const WITNESS_PATIENCE_MS = 5_000;
const WITNESS_RETRY_MS = 200;
/** How often a rejoin looks whether the VIPs kept as a refuser are gone (keptVipsGone). */
const KEPT_VIPS_POLL_MS = 20;
/** How often promote polls for the end of recovery. */
const PROMOTE_POLL_MS = 10;
/** How often a primary looks where the witness's leader is (etcd-leader.ts); right after a promotion too. */
const LEADER_CHECK_MS = 10_000;
/**
 * How long a standby start waits inside pg_ctl for the server to accept connections; after that
 * the driver watches its recovery itself (a standby that never gets consistent kept pg_ctl
 * waiting up to its one-hour limit, and the rejoin with it).
 */
const STANDBY_READY_WITHIN_MS = 20_000;
/** How long a rejoined standby that answers queries may take to stream. */
const STREAM_WITHIN_MS = 20_000;

/** What the last monitor round saw: for describe(), health endpoints and tests. */
export interface PostgresqlView {
  readonly wanted: Wanted;
  /** Monotonic ms (host clock) of the observation. */
  readonly observedAt: number;
  readonly local: LocalState;
  readonly peer: PeerState;
  readonly eligibility: Eligibility;
  readonly busy?: string;
  readonly lastRejoinError?: string;
  readonly degradedToAsync: boolean;
  readonly syncStandbyStreaming?: boolean;
  readonly lagBytes?: number;
  /** On a primary: the peer's pg_stat_replication row (undefined when it could not be read). */
  readonly replication?: PeerReplication;
  /** With a witness: the record as this round read it. */
  readonly record?: PrimaryRecord | 'unreachable';
  /** A running standby that does not answer queries yet: why (recovery-progress.ts). */
  readonly notReadable?: string;
}

export class PostgresqlDriver implements ResourceDriver {
  readonly kind = 'postgresql';
  private wanted: Wanted = 'none';
  private busy: string | undefined;
  private background: { controller: AbortController; done: Promise<void> } | undefined;
  private knowledge: Knowledge | undefined;
  private knowledgeLoaded = false;
  private following: FollowTally = { notFollowing: 0, following: 0 };
  /** The standby's receive LSN in the last monitor round (is a catching-up standby progressing?). */
  private receivedBefore: bigint | undefined;
  private standbyGoneSince: number | undefined;
  private degraded = false;
  /** The LSN the standby must flush before the record names it again (witness-protocol.ts resyncStep). */
  private resyncTarget: bigint | undefined;
  private lastRejoinError: string | undefined;
  /** The last copy that succeeded: 'initial copy', 'rejoin (pg_rewind)', 'rejoin (fresh clone)'. */
  private lastCopy: string | undefined;
  private view: PostgresqlView | undefined;
  private owner: RunAs | undefined;
  private programsCache: PgPrograms | undefined;
  /** The peer's slot on this new primary: being made since promote returned, or to be made again by the monitor. */
  private slot: 'made' | 'making' | 'missing' = 'made';
  /** synchronous_standby_names was found (or set) as a promotion will want it, since the last copy (presetSyncNames). */
  private namesPreset = false;
  /** While primary: an idle connection whose loss asks for a monitor round at once (watchSession). */
  private watch: { close(): void } | undefined;
  private readonly witness: PrimaryWitness;
  /** Host-clock ms of the primary's last keepLeaderAway (undefined: due at once), and whether one runs. */
  private leaderCheckedAt: number | undefined;
  private leaderChecking = false;
  private lastLeaderError: string | undefined;
  private lastLeaderSaid: string | undefined;
  /** The next WAL segment a promotion would make, made beforehand on a standby (wal-prealloc-keeper.ts). */
  private readonly prealloc: WalPreallocKeeper;
  /** A standby not readable yet: whether its recovery moves, and why it is not readable (explainNotReadable). */
  private readonly recoveryWatch = new RecoveryWatch();
  private notReadable: string | undefined;

  constructor(
    private readonly settings: PostgresqlSettings,
    private readonly host: ResourceHost,
    private readonly options: PostgresqlDriverOptions = {},
  ) {
    this.prealloc = new WalPreallocKeeper(walDirOf(settings.dataDir), {
      segmentSize: (signal) => withSession(localEndpoint(settings), signal, async (session) => {
        const [row] = await session.query(`SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'`);
        return Number(row?.['setting']);
      }),
      inRecovery: (signal) => withSession(localEndpoint(settings), signal, async (session) => (await session.query('SELECT pg_is_in_recovery() AS r'))[0]?.['r'] === true),
    }, () => this.runAs());
    this.witness = options.witness ?? nullWitness;
    if (settings.degradeToAsyncAfterMs !== undefined && !this.witness.arbitrates) {
      throw new Error('degradeToAsyncAfter needs a witness: without one, an isolated primary running asynchronously can acknowledge commits the promoted standby never had');
    }
  }

  // --- operations -----------------------------------------------------------------------------

  async start(ctx: OperationContext): Promise<void> {
    this.wanted = 'standby';
    await this.loadKnowledge();
    // The standby shape may need an initial copy or a rejoin that takes hours on a big database:
    // it runs in the background (not eligible meanwhile: "start running"), not inside start's
    // time limit; the monitor reports how it ends.
    this.startBackground(ctx.log, false);
  }

  async promote(ctx: OperationContext): Promise<void> {
    this.wanted = 'primary';
    await Promise.all([this.cancelBackground(), this.prealloc.halt()]);
    await this.loadKnowledge();
    const s = this.settings;
    const { signal, log } = ctx;
    const owner = await this.runAs();
    let local = await inspectLocal(s, signal);
    if (local.kind === 'stopped') {
      // Started as a standby whatever it was: a stale old primary must not take a write before
      // the checks below (clients may reach it without the VIP).
      const address = this.peerAddress();
      if (address !== undefined) await configureStandby(s, address, owner);
      else await writeStandbySignal(s.dataDir, owner);
      await startServer(s, await this.programs(), signal);
      local = await inspectLocal(s, signal);
    }
    const t0 = performance.now();
    // Both at once. With a witness the record decides who may be promoted (eligibility.ts; the
    // claim is a compare-and-swap), and a peer that is powered off does not refuse the connection,
    // it never answers: so the peer gets only PEER_GRACE_MS past the record's answer (a live peer
    // answers within it; waiting out its budget was ~400 ms of every power-off's promotion).
    const peerAsked = this.inspectPeerQuickly(signal, this.witness.arbitrates ? PROMOTE_PEER_BUDGET_MS : undefined);
    const recordAsked = this.witnessRecord(signal);
    peerAsked.catch(() => undefined); // aborted after the race below settled: nobody awaits it
    const graceOver = recordAsked.then(() => sleep(PEER_GRACE_MS), () => sleep(PEER_GRACE_MS))
      .then((): PeerState => ({ kind: 'unreachable', error: `no answer within ${PEER_GRACE_MS} ms of the witness's` }));
    const peer = this.witness.arbitrates ? await Promise.race([peerAsked, graceOver]) : await peerAsked;
    let record = await recordAsked;
    // The primary's machine may have taken etcd's leader with it: an election takes a second or
    // two. Asking again for a few seconds beats failing the promotion, which keeps the node out
    // for retryAfter (seen: 32 s to the first write after a power-off).
    const witnessDeadline = performance.now() + WITNESS_PATIENCE_MS;
    while (record === 'unreachable' && performance.now() < witnessDeadline) {
      await sleep(WITNESS_RETRY_MS, undefined, { signal });
      record = await this.witnessRecord(signal);
    }
    const eligibility = this.decide(local, peer, record);
    if (!eligibility.eligible) throw new Error(`Not promoting: ${eligibility.reason}`);
    const tEligible = performance.now();
    // With a witness every promotion is a won compare-and-swap, also of a server that is a
    // primary already (VRRP flapped, the daemon restarted): the record may name another primary.
    if (this.witness.arbitrates) {
      if (record === 'unreachable') throw new Error(`Not promoting: the witness (${this.witness.description}) cannot be reached`);
      const claim = promotionClaim({ self: s.nodeName, peer: s.peer.name, record, mayRunAsync: s.degradeToAsyncAfterMs !== undefined });
      if ('refused' in claim) throw new Error(`Not promoting: ${claim.refused}`);
      if (!(await this.claimPatiently(claim.syncStandby, record, witnessDeadline, signal))) {
        throw new Error(`Not promoting: the witness (${this.witness.description}) record changed; another node claimed the primary`);
      }
      this.degraded = claim.syncStandby === null;
      this.resyncTarget = undefined;
      if (this.degraded) log.log('warn', 'Promoting without a synchronous standby until the peer streams again (the witness recorded it)', { peer: peer.kind });
    }
    const tClaimed = performance.now();
    if (local.kind === 'primary') {
      await this.configurePrimary(signal);
      return;
    }
    if (local.kind === 'empty') {
      log.log('info', 'Empty data directory and bootstrap: initdb; initialising a new cluster', { dataDir: s.dataDir });
      await initdbForPair(s, this.peerAddress()?.host, await this.programs(), owner, signal);
      await startServer(s, await this.programs(), signal);
      await withSession(localEndpoint(s), signal, (session) => createPairRoles(session, s));
      await this.configurePrimary(signal);
      return;
    }
    if (local.kind !== 'standby') throw new Error(`Not promoting: PostgreSQL is ${local.kind}`);
    // The new primary must wait for the peer, not for itself (the old primary's setting names this node).
    let tNames = tClaimed;
    let tSlot = tClaimed;
    let tPromoted = tClaimed;
    let promoted: LocalState | undefined;
    await withSession(localEndpoint(s), signal, async (session) => {
      // Usually set while this node was a standby (presetSyncNames), where it has no effect: then
      // this is one read instead of two ALTER SYSTEMs (each fsyncs postgresql.auto.conf) and a reload.
      const names = this.degraded ? '' : syncStandbyNames(s.peer.name);
      if (!(await syncSettingsAre(session, s, names))) await setSyncNames(session, s, names);
      tNames = performance.now();
      // The peer's slot, made while this node is still in recovery: a physical slot made on a
      // standby reserves WAL from its last restartpoint's redo (PostgreSQL 15, slot.c
      // ReplicationSlotReserveWal: GetRedoRecPtr), at or before the last checkpoint this node and
      // the old primary share, the point a rewound old primary replays from. Made after the
      // promotion it reserved from the end-of-recovery checkpoint on, which had already removed
      // that WAL: the rewound node then waited for a segment no one had (2026-12-04).
      await ensurePeerSlot(session, s);
      this.slot = 'made';
      tSlot = performance.now();
      // pg_promote(true) checks for the end of recovery only every 100 ms (WAITS_PER_SECOND in
      // xlogfuncs.c); asking without waiting and polling pg_is_in_recovery() saves ~50 ms.
      const [row] = await session.query('SELECT pg_promote(false) AS signalled').catch(async (error: unknown) => {
        // Still a standby: a slot there would hold its WAL for good.
        await dropPeerSlotInRecovery(session, s).catch(() => undefined);
        this.slot = 'missing';
        throw error;
      });
      if (row?.['signalled'] !== true) throw new Error('pg_promote could not signal the server');
      const deadline = performance.now() + s.promoteWaitMs;
      for (;;) {
        const [state] = await session.query('SELECT pg_is_in_recovery() AS recovery');
        if (state?.['recovery'] === false) break;
        if (performance.now() > deadline) throw new Error(`pg_promote did not finish within ${s.promoteWaitMs} ms`);
        await sleep(PROMOTE_POLL_MS, undefined, { signal });
      }
      tPromoted = performance.now();
      // The VIP waits for this operation: what clients do not need is left to run after it. The
      // view is read in this session (health answers "primary" at once).
      [promoted] = await Promise.all([
        describeServer(session),
        this.remember({ role: 'primary', timeline: local.timeline + 1, peerTimeline: this.knowledge?.peerTimeline ?? 0 }),
      ]);
    });
    this.leaderCheckedAt = undefined;
    this.keepWitnessLeaderAway(log);
    if (promoted !== undefined) this.setLocalView(promoted);
    // Per phase, to see what dominates the time to the first write (docs/postgresql-proof.md).
    const ms = (a: number, b: number): number => Math.round(b - a);
    log.log('info', 'Promoted to primary', {
      timeline: local.timeline + 1, ms: ms(t0, performance.now()),
      eligibilityMs: ms(t0, tEligible), claimMs: ms(tEligible, tClaimed), syncNamesMs: ms(tClaimed, tNames), slotMs: ms(tNames, tSlot), pgPromoteMs: ms(tSlot, tPromoted),
      viewMs: ms(tPromoted, performance.now()),
    });
  }

  async demote(ctx: OperationContext): Promise<void> {
    this.wanted = 'standby';
    this.unwatch();
    const s = this.settings;
    // Fencing first, without SQL (a hung server must not delay it): a running server that is not
    // configured as a standby is (or may become) a primary.
    if ((await postmasterPid(s.dataDir)) !== undefined && !isStandbyConfigured(s.dataDir)) {
      ctx.log.log('warn', 'Fencing: immediate shutdown of the primary (waiting commits get an error, never a success)');
      await stopServer(s, await this.programs(), 'immediate', ctx.signal, 3_000);
    }
    this.startBackground(ctx.log, true);
  }

  async stop(ctx: OperationContext): Promise<void> {
    this.wanted = 'none';
    this.unwatch();
    await this.cancelBackground();
    await stopServer(this.settings, await this.programs(), 'fast', ctx.signal, 30_000);
  }

  async monitor(ctx: OperationContext): Promise<MonitorResult> {
    try {
      return await this.monitorRound(ctx);
    } catch (error) {
      // A primary killed during the round (a kill -9 resets the round's local session) is certainly
      // down, not a monitor that failed for an unknown reason: the master keeps its VIP as a refuser.
      if (ctx.signal.aborted || this.wanted !== 'primary' || (await postmasterPid(this.settings.dataDir)) !== undefined) throw error;
      return {
        healthy: false,
        detail: `should be the primary but is stopped (died during the monitor round: ${(error as Error).message})`,
        eligibility: { eligible: false, reason: 'PostgreSQL is not running' },
        serviceDown: true,
      };
    }
  }

  private async monitorRound(ctx: OperationContext): Promise<MonitorResult> {
    await this.loadKnowledge();
    const s = this.settings;
    // The record before the peer: in a split the peer never answers (each round would wait the
    // peer's whole budget before learning that another node won the record).
    let [local, record] = await Promise.all([inspectLocal(s, ctx.signal), this.witness.arbitrates ? this.witnessRecord(ctx.signal) : Promise.resolve(undefined)]);
    // (A background rejoin fences the old primary itself: not twice at once.)
    if (local.kind === 'primary' && this.background === undefined && record !== undefined && record !== 'unreachable' && record.primary !== s.nodeName) {
      local = await this.fenceSuperseded(record, ctx);
    }
    // A primary the witness arbitrates for needs the peer only to learn its timeline; in a split
    // the peer never answers, and a round waiting its whole budget is a round late to see that
    // another node won the record (the check above).
    const peer = await this.inspectPeerQuickly(ctx.signal, this.witness.arbitrates && this.wanted === 'primary' ? PRIMARY_PEER_BUDGET_MS : undefined);
    let recovering: { reason: string; unchangedMs: number } | undefined;
    if (local.kind === 'unreachable' && isNotReadableYet(local.error)) {
      recovering = await this.explainNotReadable(local.error, ctx.signal);
    } else if (this.background === undefined) {
      this.notReadable = undefined;
      this.recoveryWatch.reset();
    }
    const learnt = learn(local, peer, this.knowledge);
    if (learnt !== undefined && JSON.stringify(learnt) !== JSON.stringify(this.knowledge)) await this.remember(learnt);
    const eligibility = this.decide(local, peer, record);
    let syncStandbyStreaming: boolean | undefined;
    let lagBytes: number | undefined;
    let replication: PeerReplication | undefined;
    if (local.kind === 'primary') {
      if (this.wanted === 'primary') {
        this.watchPrimary(ctx.log);
        if (this.slot === 'missing') this.makePeerSlot(ctx.log);
        this.keepWitnessLeaderAway(ctx.log);
      }
      replication = await withSession(localEndpoint(s), ctx.signal, (session) => peerReplication(session, s)).catch(() => undefined);
      if (this.wanted === 'primary' && replication !== undefined) await this.followStandby(record, replication, ctx);
      syncStandbyStreaming = replication?.streaming === true && (replication.sync || this.degraded);
    } else if (local.kind === 'standby') {
      lagBytes = peer.kind === 'primary' ? Math.max(0, Number(peer.lsn - local.replayLsn)) : Number(local.receiveLsn - local.replayLsn);
      if (this.wanted === 'standby' && this.background === undefined) {
        await this.presetSyncNames(ctx.signal);
        if (s.preallocateWal) this.prealloc.standbyRound({ replayLsn: local.replayLsn, timeline: local.timeline }, ctx.log);
      }
    }
    if (this.wanted === 'standby') this.repairStandby(local, peer, ctx.log, recovering);
    this.view = {
      wanted: this.wanted, observedAt: this.host.clock.now(), local, peer, eligibility, degradedToAsync: this.degraded,
      ...(this.busy !== undefined ? { busy: this.busy } : {}),
      ...(this.lastRejoinError !== undefined ? { lastRejoinError: this.lastRejoinError } : {}),
      ...(syncStandbyStreaming !== undefined ? { syncStandbyStreaming } : {}),
      ...(lagBytes !== undefined ? { lagBytes } : {}),
      ...(replication !== undefined ? { replication } : {}),
      ...(record !== undefined ? { record } : {}),
      ...(recovering !== undefined ? { notReadable: recovering.reason } : {}),
    };
    // Certainly down: dead (a zombie included) or nothing listening. A clean fast stop is not a
    // failure to keep VIPs for (wanted 'none'); an unknown or hung state never is (kept-vips.ts).
    const serviceDown = local.kind === 'stopped' || (local.kind === 'unreachable' && local.refused === true);
    return {
      ...this.judge(local, syncStandbyStreaming), eligibility, gauges: gauges(local, eligibility, lagBytes, syncStandbyStreaming),
      ...(serviceDown ? { serviceDown } : {}),
      ...(peer.kind === 'primary' ? { peerActive: true } : {}),
    };
  }

  describe(): Readonly<Record<string, unknown>> {
    const v = this.view;
    return {
      nodeName: this.settings.nodeName,
      peer: this.settings.peer.name,
      witness: this.witness.description,
      wanted: this.wanted,
      ...(v === undefined ? {} : {
        server: v.local.kind,
        ...('timeline' in v.local ? { timeline: v.local.timeline } : {}),
        peerServer: v.peer.kind,
        eligible: v.eligibility.eligible,
        ...(v.eligibility.eligible ? {} : { notEligible: v.eligibility.reason }),
        degradedToAsync: v.degradedToAsync,
        ...(v.lagBytes !== undefined ? { lagBytes: v.lagBytes } : {}),
        ...(v.notReadable !== undefined ? { notReadable: v.notReadable } : {}),
      }),
      ...(this.busy !== undefined ? { busy: this.busy } : {}),
      ...(this.lastRejoinError !== undefined ? { lastRejoinError: this.lastRejoinError } : {}),
      ...(this.lastCopy !== undefined ? { lastCopy: this.lastCopy } : {}),
      ...(this.prealloc.file !== undefined ? { walMadeForPromotion: this.prealloc.file } : {}),
    };
  }

  /** Why a planned switchover could not hand this primary over now (handover.ts); undefined on a standby. */
  handoverBlocker(): string | undefined {
    if (this.wanted !== 'primary') return undefined;
    const v = this.view;
    return handoverBlocker({
      peerName: this.settings.peer.name,
      local: v?.local,
      replication: v?.replication,
      degradedToAsync: this.degraded,
      ...(this.witness.arbitrates ? { witness: { record: v?.record, description: this.witness.description } } : {}),
      ...(this.busy !== undefined ? { busy: this.busy } : {}),
    });
  }

  /** The last monitor round's view (health endpoints read a fresh one via health.ts). */
  lastView(): PostgresqlView | undefined {
    return this.view;
  }

  /**
   * For the health endpoints: the primary only while the daemon wants it primary (demote clears
   * that at once) and the last round saw a primary; a replica likewise.
   */
  health(): PostgresqlHealthView {
    const v = this.view;
    const local = v?.local;
    const detail = v === undefined ? 'not observed yet' : this.judge(v.local, v.syncStandbyStreaming).detail;
    return {
      resource: this.host.name,
      primary: this.wanted === 'primary' && local?.kind === 'primary',
      replica: this.wanted === 'standby' && local?.kind === 'standby',
      streaming: local?.kind === 'standby' && local.streaming,
      ...(v?.lagBytes !== undefined ? { lagBytes: v.lagBytes } : {}),
      ...(local !== undefined && 'timeline' in local && local.timeline > 0 ? { timeline: local.timeline } : {}),
      observedAt: v?.observedAt ?? Number.NEGATIVE_INFINITY,
      detail,
    };
  }

  /** Whether the daemon made this node the primary (the health endpoint's "current primary"). */
  isWantedPrimary(): boolean {
    return this.wanted === 'primary';
  }

  get dataSettings(): PostgresqlSettings {
    return this.settings;
  }

  async close(): Promise<void> {
    this.unwatch();
    await Promise.all([this.cancelBackground(), this.prealloc.halt()]);
    await this.witness.close?.();
  }

  // --- the standby side ---------------------------------------------------------------------

  /**
   * Brings the data directory into the standby shape following the peer: fence a running primary,
   * clone when empty, rewind (or re-clone) when this node's history diverged from the primary's or
   * `force`, then start streaming. Leaves an empty directory alone while no primary can be cloned.
   */
  private async becomeStandby(signal: AbortSignal, log: Logger, force: boolean): Promise<void> {
    const s = this.settings;
    await this.keptVipsGone(signal, log);
    // pg_rewind and pg_ctl start both refuse while a dead postmaster's pid still answers (a zombie).
    const zombie = await awaitReaped(s, signal);
    if (zombie !== undefined) log.log(zombie.reaped ? 'info' : 'warn', zombie.reaped ? `Waited for the dead postmaster (pid ${zombie.pid}) to be reaped` : `The dead postmaster (pid ${zombie.pid}) was never reaped: its lock files were removed`);
    const owner = await this.runAs();
    const programs = await this.programs();
    let local = await inspectLocal(s, signal);
    if (local.kind === 'primary' || local.kind === 'unreachable') {
      log.log('warn', `Fencing: immediate shutdown of a ${local.kind === 'primary' ? 'primary' : 'server that does not answer'} before it rejoins as a standby`);
      await stopServer(s, programs, 'immediate', signal, 3_000);
      local = await inspectLocal(s, signal);
    }
    const peer = await this.inspectPeerQuickly(signal);
    const address = this.peerAddress();
    // With a witness only the recorded primary is a source. A superseded primary can still run
    // for a moment (VRRP gave it the mastership back after a pause, or it has not fenced itself
    // yet): rewinding or cloning from it would throw away commits the recorded primary
    // acknowledged — this node's own, when the record names it (seen: an emptied data directory).
    const source = peer.kind === 'primary' && (await this.recordedPrimaryIsPeer(signal));
    if (local.kind === 'empty') {
      if (!source || address === undefined) {
        log.log('info', 'Empty data directory: waiting for a primary to clone from', { peer: peer.kind });
        await ensureDataDir(s, owner);
        return;
      }
      await this.busyWith('initial copy', async () => {
        log.log('info', 'Empty data directory: cloning the primary (pg_basebackup)', { from: address.host });
        await cloneFrom(s, address, programs, owner, signal, await this.peerHasSlot(signal));
      });
      await startServer(s, programs, signal, STANDBY_READY_WITHIN_MS);
      return;
    }
    const wasPrimary = !isStandbyConfigured(s.dataDir);
    const behind = peer.kind === 'primary' && 'timeline' in local && local.kind === 'standby' && local.timeline < peer.timeline;
    if (source && address !== undefined && (wasPrimary || force || behind)) {
      await stopServer(s, programs, 'fast', signal, 30_000);
      // A rewound node that cannot stream is rewound once more, then cloned. Seen with pg_rewind
      // 15: a fenced old primary restarted as a standby (judged by its last checkpoint, not its
      // minimum recovery point: "no rewind required", then "requested timeline does not contain
      // minimum recovery point"), and a crashed primary whose crash recovery pg_rewind itself runs;
      // the second pg_rewind, on a target shut down in recovery past the fork, does rewind.
      // A standby stuck before consistency lacks WAL that neither side has any more (the new
      // primary's checkpoints removed the segment of the last common checkpoint, seen 2026-12-04):
      // rewinding again says "no rewind required" and gets stuck the same way, so it is cloned.
      let stuck = false;
      for (let attempt = 1; ; attempt++) {
        const cloneNow = attempt > 2 || stuck;
        await this.rejoin(address, programs, owner, signal, log, cloneNow);
        const started = await startServer(s, programs, signal, STANDBY_READY_WITHIN_MS).then(() => true, (error: unknown) => {
          if (signal.aborted) throw error;
          log.log('warn', `PostgreSQL did not start after the rejoin: ${(error as Error).message}`);
          return false;
        });
        const follows = started ? await this.followsSoon(signal, log) : 'no';
        if (follows === 'yes') {
          await this.dropOwnPeerSlot(log);
          return;
        }
        stuck = follows === 'stuck';
        if (cloneNow) throw new Error('The standby does not stream from the primary even after a fresh clone');
        log.log('warn', stuck ? 'The rewound standby is stuck before consistency: cloning it afresh' : 'The rewound standby does not stream from the primary: rejoining again');
        await stopServer(s, programs, 'fast', signal, 30_000);
      }
      return;
    } else if (address !== undefined) {
      await configureStandby(s, address, owner);
    } else {
      log.log('warn', 'No peer address: the standby cannot stream (set peer.host)');
    }
    // Not waiting for it to be readable: the monitor watches its recovery (repairStandby).
    if (isStandbyConfigured(s.dataDir) || address === undefined) await startServer(s, programs, signal, STANDBY_READY_WITHIN_MS);
  }

  /** pg_rewind, or a fresh clone when rewind fails and the clusters are the same one. */
  private async rejoin(address: PeerAddress, programs: PgPrograms, owner: RunAs, signal: AbortSignal, log: Logger, cloneNow: boolean): Promise<void> {
    const s = this.settings;
    if (!cloneNow) try {
      await this.busyWith('rejoin (pg_rewind)', async () => {
        log.log('info', 'Rejoining the primary with pg_rewind (own configuration files kept)', { from: address.host });
        // A just-promoted primary's pg_control still names the old timeline until its first
        // checkpoint, and pg_rewind reads it from there ("same timeline, no rewind required";
        // PostgreSQL docs, pg_rewind: issue a CHECKPOINT on a recently promoted source).
        const endpoint = this.peerEndpoint();
        if (endpoint !== undefined) await withSession(endpoint, signal, (session) => session.query('CHECKPOINT'));
        const said = await rewindFrom(s, address, programs, owner, signal);
        log.log('info', `pg_rewind: ${said}`);
        if (/no rewind required/.test(said) && endpoint !== undefined) {
          const local = await newestLocalHistory(s.dataDir);
          const theirs = local && (await withSession(endpoint, signal, (session) => peerHistory(session, local.timeline)));
          if (forkedOnSameTimeline(local, theirs)) {
            throw new Error(`this node and the primary were both promoted to timeline ${local!.timeline} with different histories (a split): pg_rewind judges by the timeline ID only`);
          }
        }
      });
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      log.log('warn', `pg_rewind failed: ${(error as Error).message}`);
    }
    // Emptying the data directory is the one step that cannot be undone: only for a peer that is
    // the (recorded) primary right now.
    const now = await this.inspectPeerQuickly(signal);
    if (now.kind !== 'primary' || !(await this.recordedPrimaryIsPeer(signal))) {
      throw new Error(`Not cloning: the peer is not the primary now (${now.kind}); this data directory is kept`);
    }
    const ids = await systemIdentifiers(s, programs, this.peerEndpoint(), signal);
    if (ids.local !== undefined && ids.peer !== undefined && ids.local !== ids.peer) {
      throw new Error(`Not rejoining: this cluster (system identifier ${ids.local}) is not the primary's (${ids.peer}); remove ${s.dataDir} to clone it`);
    }
    await this.busyWith('rejoin (fresh clone)', async () => {
      log.log('warn', 'Rejoining with a fresh clone (pg_basebackup)', { from: address.host });
      await cloneFrom(s, address, programs, owner, signal, await this.peerHasSlot(signal));
    });
  }

  /**
   * Whether the rejoined standby follows the primary soon: streaming within STREAM_WITHIN_MS of
   * answering queries (a timeline it cannot follow shows within a second or two), and before it
   * answers, for as long as its recovery moves. One whose recovery shows no change for
   * stuckRecoveryMs never gets consistent (seen: 90 s of "the database system is starting up"
   * while its WAL receiver connected and failed, 2026-12-04): 'stuck', and it is cloned afresh.
   */
  private async followsSoon(signal: AbortSignal, log: Logger): Promise<'yes' | 'no' | 'stuck'> {
    const clock = this.host.clock;
    let deadline = clock.now() + STREAM_WITHIN_MS;
    this.recoveryWatch.reset();
    while (clock.now() < deadline) {
      const local = await inspectLocal(this.settings, signal);
      if (local.kind === 'standby' && local.streaming) return 'yes';
      if (local.kind === 'stopped') return 'no';
      if (local.kind === 'unreachable' && isNotReadableYet(local.error)) {
        const { reason, unchangedMs } = await this.explainNotReadable(local.error, signal);
        if (unchangedMs >= this.stuckRecoveryMs) {
          log.log('warn', `The standby's recovery is stuck: ${reason}`);
          return 'stuck';
        }
        deadline = Math.max(deadline, clock.now() + STREAM_WITHIN_MS);
      }
      await sleep(300, undefined, { signal });
    }
    return 'no';
  }

  /**
   * Why the running standby does not answer queries yet, and for how long its recovery has shown
   * no change: the startup process's title (the WAL file it replays or waits for) and its own
   * last log line (PostgreSQL logs the data directory's fsync every 10 s). A WAL receiver that
   * connects and fails again and again is no progress. Bounded: pg_controldata gets 2 s.
   */
  private async explainNotReadable(error: string, signal: AbortSignal): Promise<{ reason: string; unchangedMs: number }> {
    const s = this.settings;
    const pid = await postmasterPid(s.dataDir);
    const titles = pid === undefined ? {} : readRecoveryTitles(pid);
    const log = await readTail(serverLogPath(s));
    const own = titles.startupPid === undefined ? undefined : lastServerLine(log, titles.startupPid);
    const unchangedMs = this.recoveryWatch.observe(titles.startup === undefined ? undefined : `${titles.startup}\n${own ?? ''}`, this.host.clock.now());
    const control = await (await this.programs()).run('pg_controldata', ['-D', s.dataDir], AbortSignal.any([signal, AbortSignal.timeout(2_000)]))
      .then((result) => parseControlData(result.stdout), () => undefined);
    // The startup process's own line (stable); a failing WAL receiver's lines come and go.
    const serverLine = own ?? lastServerLine(log);
    const reason = notReadableReason({
      refusal: /the database system is [a-z ]+/.exec(error)?.[0] ?? error.slice(0, 120),
      ...(control !== undefined ? { control } : {}),
      ...(titles.startup !== undefined ? { startup: titles.startup } : {}),
      ...(titles.walreceiver !== undefined ? { walreceiver: titles.walreceiver } : {}),
      ...(serverLine !== undefined ? { serverLine } : {}),
      unchangedMs,
    });
    this.notReadable = reason;
    return { reason, unchangedMs };
  }

  private get stuckRecoveryMs(): number {
    return this.options.stuckRecoveryMs ?? 30_000;
  }

  private repairStandby(local: LocalState, peer: PeerState, log: Logger, recovering?: { reason: string; unchangedMs: number }): void {
    if (this.background !== undefined) return;
    // A standby that does not answer yet is not failing to follow while its recovery moves.
    if (recovering !== undefined && recovering.unchangedMs < this.stuckRecoveryMs) return;
    const counted = tallyFollowing(this.following, followsPrimary(local, peer, this.receivedBefore), this.options.notStreamingRounds ?? 3);
    this.receivedBefore = local.kind === 'standby' ? local.receiveLsn : undefined;
    this.following = counted.tally;
    const needed = local.kind === 'empty' || local.kind === 'stopped' || counted.rejoin;
    if (peer.kind === 'primary' && needed) {
      if (counted.rejoin) log.log('warn', `The standby does not follow the primary: rejoining${recovering !== undefined ? ` (${recovering.reason})` : ''}`, { streaming: local.kind === 'standby' && local.streaming, timeline: 'timeline' in local ? local.timeline : undefined, primaryTimeline: peer.timeline });
      this.following = { notFollowing: 0, following: 0 };
      this.startBackground(log, local.kind !== 'empty');
    }
  }

  /**
   * While this node keeps the VIPs as a refuser (a master FAULT because PostgreSQL is certainly
   * down: src/vrrp/kept-vips.ts), nothing starts PostgreSQL here: clients reaching the VIP must be
   * refused at once, not served by a server coming back. Bounded by the kept VIPs' own deadline.
   */
  private async keptVipsGone(signal: AbortSignal, log: Logger): Promise<void> {
    if (this.host.vipsKept?.() !== true) return;
    const before = this.busy;
    this.busy = 'waiting: the VIPs are kept as a refuser until the peer is primary';
    log.log('info', 'Rejoin waits: this node keeps the VIPs (refusing clients) until the peer is primary');
    try {
      while (this.host.vipsKept() === true) await sleep(KEPT_VIPS_POLL_MS, undefined, { signal });
    } finally {
      this.busy = before;
    }
  }

  private startBackground(log: Logger, force: boolean): void {
    if (this.background !== undefined) return;
    // A copy or rewind brings another postgresql.auto.conf: look at the settings again afterwards.
    this.namesPreset = false;
    this.busy = force ? 'rejoin' : 'start';
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new Error('The rejoin took too long')), this.options.rejoinTimeoutMs ?? 600_000);
    // Nothing else writes into pg_wal while a rewind or a copy replaces it.
    const done = this.prealloc.halt().then(() => this.becomeStandby(controller.signal, log, force))
      .then(() => {
        this.lastRejoinError = undefined;
      })
      .catch((error: unknown) => {
        this.lastRejoinError = (error as Error).message;
        log.log('error', `Rejoin failed: ${this.lastRejoinError}`);
      })
      .finally(() => {
        clearTimeout(timeout);
        this.busy = undefined;
        this.background = undefined;
      });
    this.background = { controller, done };
  }

  private async cancelBackground(): Promise<void> {
    const background = this.background;
    if (background === undefined) return;
    background.controller.abort(new Error('Cancelled: the role changed'));
    await background.done;
  }

  private async busyWith(what: string, fn: () => Promise<void>): Promise<void> {
    const before = this.busy;
    this.busy = what;
    try {
      await fn();
      this.lastCopy = what;
    } finally {
      this.busy = before;
    }
  }

  /**
   * A primary the witness record no longer names (another node won the compare-and-swap: a split,
   * or a pause longer than a failover) is shut down at once, in the monitor, not when the veto it
   * causes has moved the role and the demote runs. Its commits cannot be acknowledged anyway
   * (they wait for the node that is now primary); what changes is that its clients learn it now:
   * the role change takes the VIP away first, after which the kernel can no longer send the FIN
   * of their connections (its source address is gone) and each client waits out its own query
   * timeout (seen: 5 s of the 8 s of a split in the failover lab with no write anywhere). The
   * demote that follows finds it stopped. Monitor otherwise only reads; this is fencing, which
   * the role change would do a few hundred ms later anyway.
   */
  private async fenceSuperseded(record: PrimaryRecord, ctx: OperationContext): Promise<LocalState> {
    const s = this.settings;
    ctx.log.log('warn', `The witness names ${record.primary} as primary: fencing this superseded primary now (immediate shutdown)`, { generation: record.generation });
    this.unwatch();
    await stopServer(s, await this.programs(), 'immediate', ctx.signal, 3_000);
    return inspectLocal(s, ctx.signal);
  }

  /**
   * On a standby, synchronous_standby_names and synchronous_commit as a promotion of this node
   * will want them (a standby ignores both), so that promote only reads them: ~20–80 ms less
   * before the VIP. The value a promotion wants: with a witness and degradeToAsyncAfter the claim
   * names no standby (witness-protocol.ts promotionClaim), so none; otherwise the peer. Promote
   * still compares and sets what differs (a restarted primary whose record names its standby).
   */
  private async presetSyncNames(signal: AbortSignal): Promise<void> {
    if (this.namesPreset) return;
    const s = this.settings;
    const names = this.witness.arbitrates && s.degradeToAsyncAfterMs !== undefined ? '' : syncStandbyNames(s.peer.name);
    await withSession(localEndpoint(s), signal, async (session) => {
      if (!(await syncSettingsAre(session, s, names))) await setSyncNames(session, s, names);
    }).then(() => {
      this.namesPreset = true;
    }, (error: unknown) => {
      if (signal.aborted) throw error;
    });
  }

  // --- the primary side ---------------------------------------------------------------------

  /**
   * Holds the watch connection while this node should be the primary: when PostgreSQL dies (kill
   * -9, OOM killer, crash) the next monitor round runs at once instead of up to monitorInterval
   * later, so the role is given away sooner. Without monitorNow (tests' hosts) nothing is held.
   */
  private watchPrimary(log: Logger): void {
    if (this.watch !== undefined || this.host.monitorNow === undefined) return;
    const watch = watchSession(localEndpoint(this.settings), (lost, why) => {
      if (this.watch !== watch) return;
      this.watch = undefined;
      if (!lost || this.wanted !== 'primary') return;
      log.log('warn', `Lost the connection to the local primary (${why}): monitoring now`);
      this.host.monitorNow?.();
    });
    this.watch = watch;
  }

  /**
   * A standby keeps no slot for its peer: one left by a promotion that failed after making it, or
   * by this node's time as the primary, would hold its WAL for good. Best effort, once it streams.
   */
  private async dropOwnPeerSlot(log: Logger): Promise<void> {
    const dropped = await withSession(localEndpoint(this.settings), AbortSignal.timeout(5_000), (session) => dropPeerSlotInRecovery(session, this.settings)).catch((error: unknown) => {
      log.log('warn', `Cannot check this standby for a slot of its peer: ${(error as Error).message}`);
      return false;
    });
    if (dropped) log.log('info', 'Dropped the peer\'s replication slot on this standby (it would hold WAL for good)');
  }

  /** The peer's slot, made again by a monitor round after a failure (promote makes it before pg_promote). */
  private makePeerSlot(log: Logger): void {
    if (this.slot === 'making') return;
    this.slot = 'making';
    const s = this.settings;
    withSession(localEndpoint(s), AbortSignal.timeout(30_000), (session) => ensurePeerSlot(session, s)).then(() => {
      this.slot = 'made';
    }, (error: unknown) => {
      this.slot = 'missing';
      log.log('warn', `Cannot create the peer's replication slot yet: ${(error as Error).message}`);
    });
  }

  /**
   * In the background, at most every LEADER_CHECK_MS: the witness's leader off the database hosts
   * (etcd-leader.ts: a power-off of the host holding it cost every takeover an etcd election,
   * ~1 s). Never awaited: nothing a client waits for depends on it.
   */
  private keepWitnessLeaderAway(log: Logger): void {
    const now = this.host.clock.now();
    if (this.witness.keepLeaderAway === undefined || this.leaderChecking) return;
    if (this.leaderCheckedAt !== undefined && now - this.leaderCheckedAt < LEADER_CHECK_MS) return;
    this.leaderChecking = true;
    this.leaderCheckedAt = now;
    this.witness.keepLeaderAway(this.peerAddress()?.host, AbortSignal.timeout(5_000)).then(({ moved, said }) => {
      this.lastLeaderError = undefined;
      // Every move, and what it found whenever that changes (not every 10 s).
      if (moved || said !== this.lastLeaderSaid) log.log('info', `Witness: ${said}`);
      this.lastLeaderSaid = moved ? undefined : said;
    }, (error: unknown) => {
      const text = (error as Error).message;
      if (text !== this.lastLeaderError) log.log('warn', `Witness: cannot place the etcd leader: ${text}`);
      this.lastLeaderError = text;
    }).finally(() => {
      this.leaderChecking = false;
    });
  }

  private unwatch(): void {
    this.watch?.close();
    this.watch = undefined;
  }

  /** The local half of the view, re-read at once (health answers "primary" right after promote). */
  private setLocalView(local: LocalState): void {
    const eligibility: Eligibility = { eligible: true };
    this.view = this.view === undefined
      ? { wanted: this.wanted, observedAt: this.host.clock.now(), local, peer: { kind: 'unreachable', error: 'not observed yet' }, eligibility, degradedToAsync: this.degraded }
      : { ...this.view, wanted: this.wanted, observedAt: this.host.clock.now(), local };
  }

  private async configurePrimary(signal: AbortSignal): Promise<void> {
    const s = this.settings;
    await withSession(localEndpoint(s), signal, async (session) => {
      const wanted = this.degraded ? '' : syncStandbyNames(s.peer.name);
      if ((await currentSyncNames(session)) !== wanted) await setSyncNames(session, s, wanted);
      await ensurePeerSlot(session, s);
    });
  }

  /**
   * Degrading to asynchronous (only with a witness that agrees) and back (witness-protocol.ts).
   * Whether this primary runs asynchronously is the record's to say (syncStandby null), not a
   * flag of this process: a restarted daemon, or a promotion that claimed no standby, must find
   * its way back to synchronous the same way.
   */
  private async followStandby(record: PrimaryRecord | undefined | 'unreachable', replication: PeerReplication, ctx: OperationContext): Promise<void> {
    const s = this.settings;
    const after = s.degradeToAsyncAfterMs;
    if (after === undefined || !this.witness.arbitrates) return;
    // Only the recorded primary writes the record; unreadable: nothing to decide this round.
    if (record === undefined || record === 'unreachable' || record.primary !== s.nodeName) return;
    const now = this.host.clock.now();
    const setNames = (names: string): Promise<void> => withSession(localEndpoint(s), ctx.signal, (session) => setSyncNames(session, s, names));
    const namesPeer = (await withSession(localEndpoint(s), ctx.signal, (session) => currentSyncNames(session))) === syncStandbyNames(s.peer.name);
    this.degraded = record.syncStandby === null;
    if (!this.degraded) {
      this.resyncTarget = undefined;
      // The record names the standby: commits must wait for it (the invariant), whatever a
      // restart left in postgresql.auto.conf.
      if (!namesPeer) await setNames(syncStandbyNames(s.peer.name));
      if (replication.sync) {
        this.standbyGoneSince = undefined;
        return;
      }
      this.standbyGoneSince ??= now;
      if (now - this.standbyGoneSince < after) return;
      // The record first: once it names no standby, the standby cannot be promoted, and only then
      // may commits stop waiting for it.
      if (!(await this.witness.allowAsync(s.nodeName, record, ctx.signal))) return;
      this.degraded = true;
      await setNames('');
      ctx.log.log('warn', 'Synchronous standby gone: writes continue asynchronously (the witness recorded it)', { afterMs: after });
      return;
    }
    const step = resyncStep({
      attached: replication.attached,
      sync: replication.sync,
      namesPeer,
      currentLsn: replication.currentLsn,
      peerFlushLsn: replication.flushLsn,
    }, this.resyncTarget);
    this.resyncTarget = step.target;
    switch (step.action.kind) {
      case 'wait':
        return;
      case 'name-peer':
        await setNames(syncStandbyNames(s.peer.name));
        ctx.log.log('info', 'The standby streams again: commits wait for it from now on', { standby: s.peer.name });
        return;
      case 'clear-names':
        await setNames('');
        return;
      case 'claim':
        if (await this.witness.setSyncStandby(s.nodeName, s.peer.name, record, ctx.signal)) {
          this.degraded = false;
          this.standbyGoneSince = undefined;
          this.resyncTarget = undefined;
          ctx.log.log('info', 'Synchronous replication restored (the witness names the standby again)', { standby: s.peer.name });
        }
        return;
    }
  }

  // --- observations -------------------------------------------------------------------------

  private decide(local: LocalState, peer: PeerState, record: PrimaryRecord | undefined | 'unreachable'): Eligibility {
    return decideEligibility({
      nodeName: this.settings.nodeName,
      local,
      peer,
      ...(this.knowledge !== undefined ? { knowledge: this.knowledge } : {}),
      ...(this.witness.arbitrates ? { witness: { record, description: this.witness.description } } : {}),
      servingAsPrimary: this.wanted === 'primary',
      ...(this.busy !== undefined ? { busy: this.busy } : {}),
      bootstrapInitdb: this.settings.bootstrapInitdb,
      ...(this.settings.maxLagBytes !== undefined ? { maxLagBytes: this.settings.maxLagBytes } : {}),
    });
  }

  private judge(local: LocalState, syncStreaming: boolean | undefined): { healthy: boolean; detail: string } {
    const busy = this.busy !== undefined ? ` (${this.busy})` : '';
    if (this.wanted === 'primary') {
      if (local.kind !== 'primary') return { healthy: false, detail: `should be the primary but is ${local.kind}` };
      const sync = syncStreaming ? `${this.settings.peer.name} synchronous` : `no synchronous standby: ${this.degraded ? 'writing asynchronously' : 'commits wait'}`;
      return { healthy: true, detail: `primary on timeline ${local.timeline}, ${sync}` };
    }
    if (local.kind === 'primary') return { healthy: false, detail: 'a primary while this node is not master' };
    if (local.kind === 'standby') return { healthy: true, detail: `standby on timeline ${local.timeline}, ${local.streaming ? 'streaming' : 'not streaming'}${busy}` };
    if (local.kind === 'unreachable') {
      const why = isNotReadableYet(local.error) && this.notReadable !== undefined ? this.notReadable : `PostgreSQL does not answer: ${local.error}`;
      return { healthy: false, detail: `${why}${busy}` };
    }
    // Down while this node keeps the VIPs as a refuser: still a failure (the node stays FAULT).
    if (local.kind === 'stopped' && this.host.vipsKept?.() === true) return { healthy: false, detail: `stopped; the VIPs are kept as a refuser until the peer is primary${busy}` };
    if (this.busy !== undefined || local.kind === 'empty') return { healthy: true, detail: `${local.kind}${busy}` };
    return { healthy: this.wanted === 'none', detail: `${local.kind}${this.lastRejoinError !== undefined ? `; rejoin failed: ${this.lastRejoinError}` : ''}` };
  }

  private async inspectPeerQuickly(signal: AbortSignal, budgetMs?: number): Promise<PeerState> {
    const timeoutMs = Math.min(this.options.peerTimeoutMs ?? 2_000, budgetMs ?? Number.POSITIVE_INFINITY);
    const own = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    try {
      return await inspectPeer(this.peerEndpoint(), this.settings.nodeName, own);
    } catch (error) {
      if (signal.aborted) throw error;
      return { kind: 'unreachable', error: 'no answer in time' };
    }
  }

  private async witnessRecord(signal: AbortSignal): Promise<PrimaryRecord | undefined | 'unreachable'> {
    if (!this.witness.arbitrates) return undefined;
    try {
      return await this.witness.read(signal);
    } catch (error) {
      if (signal.aborted) throw error;
      return 'unreachable';
    }
  }

  /**
   * claimPrimary, asked again until `deadline` while the witness cannot be reached (an etcd
   * election). A claim whose answer was lost is settled by reading: the record unchanged means
   * not applied (ask again), the one we meant to write means won, anything else lost.
   */
  private async claimPatiently(syncStandby: string | null, expect: PrimaryRecord | undefined, deadline: number, signal: AbortSignal): Promise<boolean> {
    const self = this.settings.nodeName;
    const wanted = { primary: self, syncStandby, generation: (expect?.generation ?? 0) + 1 };
    for (;;) {
      try {
        return await this.witness.claimPrimary(self, syncStandby, expect, signal);
      } catch (error) {
        if (signal.aborted || performance.now() >= deadline) throw error;
      }
      for (;;) {
        await sleep(WITNESS_RETRY_MS, undefined, { signal });
        const now = await this.witnessRecord(signal);
        if (now === 'unreachable') {
          if (performance.now() >= deadline) throw new Error(`Not promoting: the witness (${this.witness.description}) cannot be reached`);
          continue;
        }
        if (sameRecord(now, expect)) break; // not applied: claim again
        return sameRecord(now, wanted);
      }
    }
  }

  /** Without a witness: true. With one: whether the record names the peer as primary (or there is none yet). */
  private async recordedPrimaryIsPeer(signal: AbortSignal): Promise<boolean> {
    if (!this.witness.arbitrates) return true;
    const record = await this.witnessRecord(signal);
    return record !== 'unreachable' && (record === undefined || record.primary === this.settings.peer.name);
  }

  private async peerHasSlot(signal: AbortSignal): Promise<boolean> {
    const endpoint = this.peerEndpoint();
    if (endpoint === undefined) return false;
    const rows = await withSession(endpoint, signal, (session) => session.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slotName(this.settings.nodeName)]));
    return rows.length > 0;
  }

  private peerAddress(): PeerAddress | undefined {
    const host = peerHost(this.settings, this.host);
    return host === undefined ? undefined : { host, port: this.settings.peer.port };
  }

  private peerEndpoint(): Endpoint | undefined {
    const address = this.peerAddress();
    if (address === undefined) return undefined;
    const s = this.settings;
    return { ...address, user: s.superuser, ...(s.superuserPassword !== undefined ? { password: s.superuserPassword } : {}) };
  }

  private async remember(knowledge: Knowledge): Promise<void> {
    this.knowledge = knowledge;
    await saveKnowledge(this.host.stateDir, knowledge).catch((error: unknown) => this.host.log.log('warn', `Cannot save ${this.host.stateDir}: ${(error as Error).message}`));
  }

  private async loadKnowledge(): Promise<void> {
    if (this.knowledgeLoaded) return;
    this.knowledge = await loadKnowledge(this.host.stateDir);
    this.knowledgeLoaded = true;
  }

  private async runAs(): Promise<RunAs> {
    if (this.owner !== undefined) return this.owner;
    this.owner = this.options.runAs ?? (await resolveScriptUser(this.settings.osUser));
    return this.owner;
  }

  private async programs(): Promise<PgPrograms> {
    this.programsCache ??= pgPrograms(this.settings.binDir, await this.runAs(), {}, this.host.childPriority);
    return this.programsCache;
  }
}

function gauges(local: LocalState, eligibility: Eligibility, lagBytes: number | undefined, syncStreaming: boolean | undefined): Record<string, number> {
  const out: Record<string, number> = { eligible: eligibility.eligible ? 1 : 0, primary: local.kind === 'primary' ? 1 : 0 };
  if ('timeline' in local && local.timeline > 0) out['timeline'] = local.timeline;
  if (local.kind === 'standby') out['streaming'] = local.streaming ? 1 : 0;
  if (lagBytes !== undefined) out['lag_bytes'] = lagBytes;
  if (syncStreaming !== undefined) out['sync_standby'] = syncStreaming ? 1 : 0;
  return out;
}
