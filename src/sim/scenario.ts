/**
 * Seeded random scenarios for the simulated LAN, and the properties each must satisfy
 * (RFC 5798 §6 behaviour as seen from outside: one master, the right one, replaced in time).
 * A scenario is a pure function of its seed: `runScenario(seed)` replays it exactly.
 */
import { SimLan, type SimRouter } from './lan.js';
import { Prng } from './prng.js';
import type { VrrpVersion } from '../vrrp/advert.js';
import { masterDownIntervalMs, skewTimeMs } from '../vrrp/timers.js';
import { MAINTENANCE_DRAIN_MS, MAINTENANCE_HANDOVER_EXTRA_MS } from '../vrrp/instance-core.js';
import { KEPT_VIPS_EXTRA_MS, PEER_ACTIVE_GRACE_MS } from '../vrrp/kept-vips.js';

export type ScenarioFamily =
  | 'random'
  | 'crash-master'
  | 'stop-master'
  | 'priority-drop'
  | 'partition'
  | 'nopreempt'
  | 'kill-vip-holder'
  | 'maintenance'
  | 'stall-master'
  | 'sync-group'
  | 'service-down-master';
export const SCENARIO_FAMILIES: readonly ScenarioFamily[] = [
  'random',
  'crash-master',
  'stop-master',
  'priority-drop',
  'partition',
  'nopreempt',
  'kill-vip-holder',
  'maintenance',
  'stall-master',
  'sync-group',
  'service-down-master',
];

export interface ScenarioResult {
  seed: number;
  family: ScenarioFamily;
  description: string;
  failures: string[];
}

/** Slack for floating point and same-instant ordering, in ms. */
const EPSILON = 0.001;

interface Setup {
  lan: SimLan;
  prng: Prng;
  version: VrrpVersion;
  intervalMs: number;
  /** Largest one-way delay any advert can have. */
  maxDelayMs: number;
  maxPreemptDelayMs: number;
  description: string[];
}

export function runScenario(seed: number): ScenarioResult {
  const prng = new Prng(seed);
  const family = prng.pick(SCENARIO_FAMILIES);
  const setup = buildLan(prng, family);
  const failures: string[] = [];
  switch (family) {
    case 'random':
      runRandom(setup, failures);
      break;
    case 'crash-master':
    case 'stop-master':
      runMasterLoss(setup, family === 'stop-master', failures);
      break;
    case 'priority-drop':
      runPriorityDrop(setup, failures);
      break;
    case 'partition':
      runPartition(setup, failures);
      break;
    case 'nopreempt':
      runNopreempt(setup, failures);
      break;
    case 'kill-vip-holder':
      runKillVipHolder(setup, failures);
      break;
    case 'maintenance':
      runMaintenance(setup, failures);
      break;
    case 'stall-master':
      runStallMaster(setup, failures);
      break;
    case 'sync-group':
      runSyncGroup(setup, failures);
      break;
    case 'service-down-master':
      runServiceDownMaster(setup, failures);
      break;
  }
  for (const v of setup.lan.violations) failures.push(`at ${v.time.toFixed(3)} ms: ${v.message}`);
  return { seed, family, description: setup.description.join('; '), failures };
}

function buildLan(prng: Prng, family: ScenarioFamily): Setup {
  if (family === 'sync-group') return buildGroupedLan(prng);
  const version: VrrpVersion = prng.chance(0.3) ? 2 : 3;
  const intervalMs = version === 2 ? 1000 * prng.int(1, 2) : prng.pick([10, 20, 50, 100, 1000]);
  const lan = new SimLan(prng);
  const count = prng.int(2, 5);
  const allowOwner = family !== 'nopreempt';
  const ownerIndex = allowOwner && prng.chance(0.1) ? prng.int(0, count - 1) : -1;
  // A stalled master against an equal-priority peer is the case that family is about.
  const samePriority = prng.chance(family === 'stall-master' ? 0.7 : 0.25) ? prng.int(1, 254) : undefined;
  let maxDelayMs = 0;
  let maxPreemptDelayMs = 0;
  const description = [`family ${family}`, `v${version}`, `interval ${intervalMs} ms`];
  for (let i = 0; i < count; i++) {
    const priority = i === ownerIndex ? 255 : samePriority !== undefined && prng.chance(0.6) ? samePriority : prng.int(1, 254);
    const preempt = family === 'nopreempt' ? false : prng.chance(0.8);
    const preemptDelayMs = preempt && prng.chance(0.15) ? prng.int(1, 3) * intervalMs : 0;
    maxPreemptDelayMs = Math.max(maxPreemptDelayMs, preemptDelayMs);
    // As the daemon runs it: a master re-announces its VIPs when it hears a lower priority.
    const answerLowerPriority = prng.chance(0.8);
    const advertOnYield = prng.chance(0.8);
    const router = lan.addRouter({
      version,
      priority,
      advertIntervalMs: intervalMs,
      preempt,
      preemptDelayMs,
      answerLowerPriority,
      announceOnLowerPriority: true,
      advertOnYield,
    });
    // Delays stay well under an interval: VRRP assumes a LAN.
    router.link = { lossRate: 0, delayMs: prng.next() * intervalMs * 0.02, jitterMs: prng.next() * intervalMs * 0.02 };
    maxDelayMs = Math.max(maxDelayMs, router.link.delayMs + router.link.jitterMs);
    description.push(`r${i}: prio ${priority}${preempt ? '' : ' nopreempt'}${preemptDelayMs ? ` delay ${preemptDelayMs}` : ''}`);
  }
  // Two links add up: the one-way bound is the sum of the worst two.
  return { lan, prng, version, intervalMs, maxDelayMs: 2 * maxDelayMs, maxPreemptDelayMs, description };
}

/** Time after the last disturbance by which the LAN must be settled (RFC 5798 §6: MDI + one interval). */
function settleBound(s: Setup): number {
  const worstMdi = masterDownIntervalMs(s.version, 1, s.intervalMs);
  return s.maxPreemptDelayMs + worstMdi + s.intervalMs + 4 * s.maxDelayMs + EPSILON;
}

function startAll(s: Setup): void {
  for (const router of s.lan.routers) s.lan.start(router);
}

/** The router that should win: highest effective priority, ties to the highest address (RFC 5798 §6.4.3). */
function best(routers: SimRouter[]): SimRouter | undefined {
  let top: SimRouter | undefined;
  for (const r of routers) {
    if (!top) top = r;
    else if (r.machine.priority !== top.machine.priority) top = r.machine.priority > top.machine.priority ? r : top;
    else if (Buffer.compare(r.address, top.address) > 0) top = r;
  }
  return top;
}

function candidates(s: Setup): SimRouter[] {
  return s.lan.routers.filter((r) => r.candidate);
}

function preempts(r: SimRouter): boolean {
  return r.config.preempt || r.config.priority === 255;
}

/** After a calm start everyone elected the best router (priority, then address). */
function checkInitialElection(s: Setup, failures: string[]): void {
  s.lan.runUntil(settleBound(s));
  const masters = s.lan.masters();
  const expected = best(candidates(s));
  if (masters.length !== 1 || masters[0] !== expected) {
    failures.push(`initial election: masters [${masters.map((m) => m.id)}], expected r${expected?.id}`);
  }
}

/** From `calmFrom` on, nothing changes and exactly the right router is master. */
function checkSettled(s: Setup, calmFrom: number, failures: string[]): void {
  const settledAt = calmFrom + settleBound(s);
  s.lan.runUntil(settledAt + 10 * s.intervalMs);
  const late = s.lan.transitions.filter((t) => t.time > settledAt);
  if (late.length > 0) {
    const t = late[0];
    failures.push(`transition after settling: r${t?.router} ${t?.from}→${t?.to} at ${t?.time.toFixed(3)} (${t?.reason})`);
  }
  const masters = s.lan.masters();
  const live = candidates(s);
  if (live.length === 0) {
    if (masters.length > 0) failures.push(`no candidates but masters [${masters.map((m) => m.id)}]`);
    return;
  }
  if (masters.length !== 1) {
    failures.push(`expected exactly one master, found [${masters.map((m) => m.id)}]`);
    return;
  }
  const top = best(live);
  const master = masters[0] as SimRouter;
  if (top && preempts(top) && master.machine.priority !== top.machine.priority) {
    failures.push(`master r${master.id} (prio ${master.machine.priority}) but r${top.id} (prio ${top.machine.priority}) preempts`);
  }
}

function runRandom(s: Setup, failures: string[]): void {
  const { lan, prng, intervalMs } = s;
  startAll(s);
  const calmFrom = 40 * intervalMs;
  const actions = prng.int(0, 12);
  for (let i = 0; i < actions; i++) {
    const at = prng.next() * calmFrom;
    const router = prng.pick(lan.routers);
    const kind = prng.pick(['crash', 'kill', 'restart', 'stop', 'start', 'priority', 'fault', 'recover', 'partition', 'loss'] as const);
    const priority = prng.int(1, 254);
    const loss = prng.next() * 0.5;
    const group = prng.int(0, 1);
    s.description.push(`${kind} r${router.id} at ${at.toFixed(2)}`);
    lan.at(at, () => {
      switch (kind) {
        case 'crash':
          return lan.crash(router);
        case 'kill':
          return lan.kill(router);
        case 'restart':
          return lan.restart(router);
        case 'stop':
          return lan.stop(router);
        case 'start':
          return lan.start(router);
        case 'priority':
          return lan.setPriority(router, priority);
        case 'fault':
          return lan.setFault(router, true);
        case 'recover':
          return lan.setFault(router, false);
        case 'partition':
          router.partition = group;
          return;
        case 'loss':
          router.link = { ...router.link, lossRate: loss };
          return;
      }
    });
  }
  lan.at(calmFrom, () => {
    for (const r of lan.routers) {
      r.partition = 0;
      r.link = { ...r.link, lossRate: 0 };
    }
  });
  checkSettled(s, calmFrom, failures);
}

/** A master that crashes is replaced within Master_Down_Interval; one that stops, within Skew_Time. */
function runMasterLoss(s: Setup, graceful: boolean, failures: string[]): void {
  const { lan } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const old = lan.masters()[0];
  if (!old) return;
  const lostAt = lan.now + s.prng.next() * s.intervalMs;
  lan.runUntil(lostAt);
  if (graceful) lan.stop(old);
  else lan.crash(old);
  const next = best(candidates(s));
  if (!next) return;
  const bound = graceful
    ? s.maxDelayMs + skewTimeMs(s.version, next.machine.priority, s.intervalMs)
    : // an advert already on the wire when the master died may still reset the timers
      s.maxDelayMs + masterDownIntervalMs(s.version, next.machine.priority, s.intervalMs);
  lan.runUntil(lostAt + bound + EPSILON);
  const took = lan.transitions.find((t) => t.time >= lostAt && t.to === 'MASTER');
  if (!took) {
    failures.push(`${graceful ? 'stopped' : 'crashed'} master r${old.id} not replaced within ${bound.toFixed(3)} ms`);
  }
  checkSettled(s, lostAt, failures);
}

/**
 * A master whose priority drops below a preempting backup's (a failed check with a weight) is
 * replaced within Skew_Time of its next advert, which it sends at once.
 */
function runPriorityDrop(s: Setup, failures: string[]): void {
  const { lan } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const old = lan.masters()[0];
  const rival = best(candidates(s).filter((r) => r !== old));
  if (!old || !rival || old.config.priority === 255 || rival.machine.priority < 2) return;
  const dropAt = lan.now + s.prng.next() * s.intervalMs;
  lan.runUntil(dropAt);
  const lowered = s.prng.int(1, rival.machine.priority - 1);
  s.description.push(`r${old.id} priority → ${lowered} at ${dropAt.toFixed(2)}`);
  lan.setPriority(old, lowered);
  if (!preempts(rival) || rival.config.preemptDelayMs > 0) {
    checkSettled(s, dropAt, failures);
    return;
  }
  const bound = s.maxDelayMs + skewTimeMs(s.version, rival.machine.priority, s.intervalMs) + EPSILON;
  lan.runUntil(dropAt + bound);
  // Equal-priority rivals race; any of them may win (a backup accepts an equal priority, §6.4.2).
  const rivals = new Set(candidates(s).filter((r) => r.machine.priority === rival.machine.priority).map((r) => r.id));
  if (!lan.transitions.some((t) => t.time >= dropAt && rivals.has(t.router) && t.to === 'MASTER')) {
    failures.push(`r${rival.id} did not preempt within ${bound.toFixed(3)} ms of the master's priority drop`);
  }
  checkSettled(s, dropAt, failures);
}

/** After a partition heals there is one master again within one interval plus skew. */
function runPartition(s: Setup, failures: string[]): void {
  const { lan, prng } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const splitAt = lan.now;
  for (const r of lan.routers) r.partition = prng.int(0, 1);
  const healAt = splitAt + settleBound(s);
  lan.runUntil(healAt);
  for (const r of lan.routers) r.partition = 0;
  const skew = skewTimeMs(s.version, 1, s.intervalMs);
  const bound = s.intervalMs + skew + 2 * s.maxDelayMs + EPSILON;
  lan.runUntil(healAt + bound);
  const masters = lan.masters();
  if (masters.length !== 1) {
    failures.push(`${bound.toFixed(3)} ms after healing: masters [${masters.map((m) => m.id)}]`);
  }
  checkSettled(s, healAt, failures);
}

/** With nopreempt everywhere, an established live master is never displaced. */
function runNopreempt(s: Setup, failures: string[]): void {
  const { lan, prng, intervalMs } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const established = intervalMs + 2 * s.maxDelayMs + EPSILON;
  const start = lan.now;
  const actions = prng.int(1, 8);
  for (let i = 0; i < actions; i++) {
    const at = start + prng.next() * 30 * intervalMs;
    const router = prng.pick(lan.routers);
    const kind = prng.pick(['crash', 'restart', 'priority', 'stop', 'start'] as const);
    const priority = prng.int(1, 254);
    s.description.push(`${kind} r${router.id} at ${at.toFixed(2)}`);
    lan.at(at, () => {
      if (kind === 'crash') lan.crash(router);
      else if (kind === 'restart') lan.restart(router);
      else if (kind === 'stop') lan.stop(router);
      else if (kind === 'start') lan.start(router);
      else lan.setPriority(router, priority);
    });
  }
  const end = start + 30 * intervalMs;
  checkSettled(s, end, failures);
  // A MASTER→BACKUP step is a displacement unless the router became master only just before.
  const becameMaster = new Map<number, number>();
  for (const t of lan.transitions) {
    if (t.to === 'MASTER') becameMaster.set(t.router, t.time);
    if (t.from === 'MASTER' && t.to === 'BACKUP') {
      const since = becameMaster.get(t.router) ?? 0;
      if (t.time - since > established) {
        failures.push(`nopreempt: established master r${t.router} displaced at ${t.time.toFixed(3)} (${t.reason})`);
      }
    }
  }
}

/** Every live router holds the VIPs exactly while master, nothing left over (no stale VIP, no pending release). */
function checkVipHolders(s: Setup, failures: string[]): void {
  for (const r of s.lan.routers) {
    if (!r.alive) continue;
    const master = r.machine.state === 'MASTER';
    if (r.holdsVips !== master) failures.push(`r${r.id} is ${r.machine.state} and ${r.holdsVips ? 'holds' : 'does not hold'} the VIPs after settling`);
  }
}

/**
 * kill -9 of the VIP holder (the kernel keeps its VIPs), restarted after up to three
 * Master_Down_Intervals: from its restart on it holds the VIPs exactly while master (checked at
 * every step), and the LAN settles on the right master with no stale VIP anywhere.
 */
function runKillVipHolder(s: Setup, failures: string[]): void {
  const { lan, prng } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const holder = lan.masters()[0];
  if (!holder) return;
  const killAt = lan.now + prng.next() * s.intervalMs;
  const restartAt = killAt + prng.next() * 3 * masterDownIntervalMs(s.version, 1, s.intervalMs);
  s.description.push(`kill r${holder.id} at ${killAt.toFixed(2)}, restart at ${restartAt.toFixed(2)}`);
  lan.at(killAt, () => lan.kill(holder));
  lan.at(restartAt, () => lan.restart(holder));
  checkSettled(s, restartAt, failures);
  checkVipHolders(s, failures);
}

/**
 * Maintenance on the master: it is no longer master within 3 intervals + 250 ms (a peer took
 * over, or it stepped down with priority 0), then stays backup without VIPs while held; off
 * again, the LAN settles as usual. In some scenarios no other router can take over (all powered
 * off or FAULT): then the master must keep the VIPs throughout and serve again with maintenance
 * off (the hand-over is refused), unless it was forced, when it leaves all the same.
 */
function runMaintenance(s: Setup, failures: string[]): void {
  const { lan, prng } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const old = lan.masters()[0];
  if (!old) return;
  const others = lan.routers.filter((r) => r !== old);
  const alone = prng.chance(0.35);
  const force = prng.chance(0.3);
  if (alone) {
    const how = prng.pick(['crash', 'fault'] as const);
    s.description.push(`others ${how}`);
    for (const r of others) how === 'crash' ? lan.crash(r) : lan.setFault(r, true);
  }
  const onAt = lan.now + prng.next() * s.intervalMs;
  s.description.push(`maintenance${force ? ' (forced)' : ''} r${old.id} at ${onAt.toFixed(2)}`);
  lan.runUntil(onAt);
  lan.setMaintenance(old, true, force);
  const bound = 3 * s.intervalMs + MAINTENANCE_HANDOVER_EXTRA_MS + s.maxDelayMs + EPSILON;
  if (alone) return checkLoneMaintenance(s, old, onAt, force, failures);
  lan.runUntil(onAt + bound);
  if (old.machine.state === 'MASTER') failures.push(`r${old.id} still master ${bound.toFixed(3)} ms after maintenance on`);
  // …and lets its VIPs go after the drain (after the new master is heard, when it stepped down).
  checkSettled(s, onAt + bound + MAINTENANCE_DRAIN_MS, failures);
  if (old.machine.state !== 'BACKUP' || old.holdsVips) {
    failures.push(`in maintenance r${old.id} is ${old.machine.state}${old.holdsVips ? ' and holds the VIPs' : ''}`);
  }
  if (old.core.handoverOutcome !== 'handed-over') failures.push(`hand-over outcome ${old.core.handoverOutcome ?? 'none'} with live peers`);
  checkVipHolders(s, failures);
  const offAt = lan.now;
  lan.setMaintenance(old, false);
  checkSettled(s, offAt, failures);
  checkVipHolders(s, failures);
}

/** Maintenance on a master no other router can replace: refused (it keeps serving), or forced. */
function checkLoneMaintenance(s: Setup, old: SimRouter, onAt: number, force: boolean, failures: string[]): void {
  const { lan } = s;
  const stepDownAt = onAt + 3 * s.intervalMs + MAINTENANCE_HANDOVER_EXTRA_MS;
  const decidedBy = stepDownAt + masterDownIntervalMs(s.version, 1, s.intervalMs) + EPSILON;
  // The VIPs stay up until the hand-over is decided, looked at every tenth of an interval.
  for (let t = onAt; t < decidedBy; t += s.intervalMs / 10) {
    lan.runUntil(t);
    if (!old.holdsVips) {
      failures.push(`lone r${old.id} in maintenance dropped its VIPs at ${t.toFixed(3)} before any peer could take them`);
      break;
    }
  }
  lan.runUntil(decidedBy + MAINTENANCE_DRAIN_MS);
  if (force) {
    if (old.machine.state !== 'BACKUP' || old.holdsVips) failures.push(`forced maintenance: r${old.id} is ${old.machine.state}${old.holdsVips ? ' and holds the VIPs' : ''}`);
    if (old.core.handoverOutcome !== 'left-without-peer') failures.push(`forced lone hand-over outcome ${old.core.handoverOutcome ?? 'none'}`);
  } else {
    if (old.machine.state !== 'MASTER' || !old.holdsVips || old.core.maintenance) {
      failures.push(`refused maintenance: r${old.id} is ${old.machine.state}${old.holdsVips ? '' : ' without the VIPs'}${old.core.maintenance ? ', still in maintenance' : ''}`);
    }
    if (old.core.handoverOutcome !== 'no-peer') failures.push(`lone hand-over outcome ${old.core.handoverOutcome ?? 'none'}`);
  }
  checkSettled(s, lan.now, failures);
  checkVipHolders(s, failures);
}

/**
 * SIGSTOP of the master's daemon (a VM pause) for 0.2–5 Master_Down_Intervals, then SIGCONT: its
 * overdue timer and the adverts that queued up are handled at once. When a peer of at least its
 * priority took over meanwhile, the resumed router yields (also an equal-priority tie it would
 * win by address: the peer's data moved on while it was stopped): no second failover. Otherwise
 * the LAN settles as usual.
 */
function runStallMaster(s: Setup, failures: string[]): void {
  const { lan, prng } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const old = lan.masters()[0];
  if (!old) return;
  const mdi = masterDownIntervalMs(s.version, old.machine.priority, s.intervalMs);
  const pauseAt = lan.now + prng.next() * s.intervalMs;
  const pauseMs = (0.2 + prng.next() * 4.8) * mdi;
  const timerFirst = prng.chance(0.7);
  s.description.push(`pause r${old.id} at ${pauseAt.toFixed(2)} for ${pauseMs.toFixed(2)} ms (${timerFirst ? 'timer' : 'adverts'} first at resume)`);
  lan.runUntil(pauseAt);
  lan.pause(old, pauseMs, timerFirst);
  const resumeAt = pauseAt + pauseMs;
  lan.runUntil(resumeAt - EPSILON);
  const standIn = lan.masters().find((r) => r !== old);
  if (standIn !== undefined && standIn.machine.priority >= old.machine.priority) {
    const before = lan.transitions.length;
    lan.runUntil(resumeAt + settleBound(s));
    // Stand-ins of equal priority may still settle among themselves; none may yield to the paused router.
    const moved = lan.transitions.slice(before).find((t) => t.reason.startsWith(`advert from ${old.addressText} `) || (t.router === old.id && t.to === 'MASTER'));
    if (moved !== undefined || old.machine.state === 'MASTER') {
      failures.push(
        `r${standIn.id} (prio ${standIn.machine.priority}) took over from the paused r${old.id} (prio ${old.machine.priority}), ` +
          `then ${moved ? `r${moved.router} ${moved.from}→${moved.to} at ${moved.time.toFixed(3)} (${moved.reason})` : `r${old.id} is MASTER`}: a second failover`,
      );
    }
  }
  checkSettled(s, resumeAt, failures);
  checkVipHolders(s, failures);
}

/** Nodes of two instances (VRIDs 0 and 1) in a vrrp_sync_group, one priority per node. */
function buildGroupedLan(prng: Prng): Setup {
  const version: VrrpVersion = prng.chance(0.3) ? 2 : 3;
  const intervalMs = version === 2 ? 1000 : prng.pick([10, 20, 50, 100, 1000]);
  const lan = new SimLan(prng);
  const nodes = prng.int(2, 4);
  let maxDelayMs = 0;
  const description = ['family sync-group', `v${version}`, `interval ${intervalMs} ms`];
  for (let n = 0; n < nodes; n++) {
    const priority = prng.int(1, 254);
    const preempt = prng.chance(0.8);
    const link = { lossRate: 0, delayMs: prng.next() * intervalMs * 0.02, jitterMs: prng.next() * intervalMs * 0.02 };
    const members = [0, 1].map((vrid) => {
      const router = lan.addRouter({ version, priority, advertIntervalMs: intervalMs, preempt, preemptDelayMs: 0, answerLowerPriority: true, announceOnLowerPriority: true, advertOnYield: true });
      router.vrid = vrid;
      router.link = link;
      return router;
    });
    lan.syncGroup(`node${n}`, members);
    maxDelayMs = Math.max(maxDelayMs, link.delayMs + link.jitterMs);
    description.push(`node${n} (r${members[0]?.id}, r${members[1]?.id}): prio ${priority}${preempt ? '' : ' nopreempt'}`);
  }
  return { lan, prng, version, intervalMs, maxDelayMs: 2 * maxDelayMs, maxPreemptDelayMs: 0, description };
}

/**
 * Sync groups under faults of single members, priority changes and node crashes: once calm,
 * both members of a node are in the same state, each VRID has one master, and it is the same
 * node for both.
 */
function runSyncGroup(s: Setup, failures: string[]): void {
  const { lan, prng, intervalMs } = s;
  startAll(s);
  const nodes = new Map<string, SimRouter[]>();
  for (const r of lan.routers) nodes.set(r.group?.spec.name ?? `r${r.id}`, r.group?.members ?? [r]);
  const calmFrom = 40 * intervalMs;
  for (let i = prng.int(0, 10); i > 0; i--) {
    const at = prng.next() * calmFrom;
    const node = prng.pick([...nodes.values()]);
    const member = prng.pick(node);
    const kind = prng.pick(['fault', 'recover', 'priority', 'crash', 'restart'] as const);
    const priority = prng.int(1, 254);
    s.description.push(`${kind} ${kind === 'fault' || kind === 'recover' ? `r${member.id}` : `node of r${member.id}`} at ${at.toFixed(2)}`);
    lan.at(at, () => {
      if (kind === 'fault' || kind === 'recover') lan.setFault(member, kind === 'fault');
      else for (const r of node) kind === 'priority' ? lan.setPriority(r, priority) : kind === 'crash' ? lan.crash(r) : lan.restart(r);
    });
  }
  const settledAt = calmFrom + 2 * settleBound(s);
  lan.runUntil(settledAt + 10 * intervalMs);
  const late = lan.transitions.filter((t) => t.time > settledAt);
  if (late.length > 0) failures.push(`sync group: transition after settling: r${late[0]?.router} ${late[0]?.from}→${late[0]?.to} (${late[0]?.reason})`);
  for (const [name, members] of nodes) {
    const live = members.filter((m) => m.alive);
    if (new Set(live.map((m) => m.machine.state)).size > 1) failures.push(`sync group ${name}: members in ${live.map((m) => `r${m.id} ${m.machine.state}`).join(', ')}`);
  }
  const masterNodes = [0, 1].map((vrid) => lan.masters().filter((m) => m.vrid === vrid).map((m) => m.group?.spec.name));
  const anyCandidate = lan.routers.some((r) => r.candidate);
  for (const [vrid, masters] of masterNodes.entries()) {
    if (anyCandidate && masters.length !== 1) failures.push(`VRID ${vrid}: masters on [${masters.join(', ')}]`);
  }
  if (masterNodes[0]?.[0] !== masterNodes[1]?.[0]) failures.push(`the VRIDs have masters on different nodes: ${masterNodes[0]} / ${masterNodes[1]}`);
  checkVipHolders(s, failures);
}

/**
 * The master's service dies for certain (PostgreSQL kill -9): it goes FAULT (priority 0, a backup
 * takes over) but keeps its VIPs as a refuser (src/vrrp/kept-vips.ts). The new master's service
 * becomes active up to four intervals after it is MASTER (its promotion), and the old master's
 * monitor sees that. "One VIP holder" allows exactly this bounded overlap and no other: a holder
 * that is not MASTER must be the old master, FAULT with kept VIPs, never past the longest
 * Master_Down_Interval + KEPT_VIPS_EXTRA_MS after the fault, and no longer than
 * PEER_ACTIVE_GRACE_MS (+ one sample) after the new master is active; the old master must not
 * have dropped them before a new master existed (the refuser is the point). After that the LAN
 * settles with the master the only holder.
 */
function runServiceDownMaster(s: Setup, failures: string[]): void {
  const { lan, prng, intervalMs } = s;
  startAll(s);
  checkInitialElection(s, failures);
  const old = lan.masters()[0];
  if (!old) return;
  lan.runUntil(lan.now + prng.next() * intervalMs);
  const faultAt = lan.now;
  s.description.push(`service down on r${old.id} at ${faultAt.toFixed(2)}`);
  lan.setFault(old, true, true);
  if (!old.holdsVips) failures.push(`r${old.id} dropped its VIPs at once for a service certainly down`);
  const deadline = faultAt + masterDownIntervalMs(s.version, 1, intervalMs) + KEPT_VIPS_EXTRA_MS;
  const promotionMs = prng.next() * 4 * intervalMs;
  const tick = intervalMs / 10;
  let activeAt: number | undefined;
  let releasedAt: number | undefined;
  for (let t = faultAt; t <= deadline + settleBound(s); t += tick) {
    lan.runUntil(t);
    const successor = lan.masters().find((r) => r !== old);
    if (successor && activeAt === undefined) {
      activeAt = lan.now + promotionMs;
      lan.at(activeAt, () => lan.peerActive(old));
    }
    for (const r of lan.routers) {
      if (!r.alive || !r.holdsVips || r.machine.state === 'MASTER') continue;
      if (r !== old || r.machine.state !== 'FAULT' || r.core.keptVips === undefined) failures.push(`r${r.id} is ${r.machine.state} and holds the VIPs at ${t.toFixed(3)} (not a kept refuser)`);
      else if (t > deadline + EPSILON) failures.push(`r${r.id} kept its VIPs past the deadline ${deadline.toFixed(3)} (at ${t.toFixed(3)})`);
    }
    if (releasedAt === undefined && !old.holdsVips) {
      releasedAt = lan.now;
      if (!successor && releasedAt < deadline - EPSILON) failures.push(`r${old.id} let its VIPs go at ${releasedAt.toFixed(3)} before any new master`);
    }
  }
  if (releasedAt === undefined) failures.push(`r${old.id} never let its kept VIPs go`);
  else if (activeAt !== undefined && releasedAt > Math.min(deadline, activeAt + PEER_ACTIVE_GRACE_MS + s.maxDelayMs + intervalMs) + tick + EPSILON) {
    failures.push(`r${old.id} kept its VIPs until ${releasedAt.toFixed(3)}, the new master active at ${activeAt.toFixed(3)}`);
  }
  checkVipHolders(s, failures);
}
