/**
 * Rows 1 and 2: how long a client loses the VIP in a failover, hotstandby against keepalived.
 *
 * A pair a (priority 150) / b (100) runs from one keepalived.conf; a client pings the VIP every
 * 10 ms (the lab prober) and the longest run of lost replies is the gap. Row 1 cuts the master's
 * link (carrier loss, a cable pulled at the server); row 2 stops the master with SIGTERM (it sends
 * priority 0). Each repetition runs both daemons, in alternating order, with the event at the same
 * phase of the master's advert cycle: the phase is drawn from a seeded generator, and the event is
 * timed against the master's adverts read from the running switch capture.
 */
import { AddressMonitor, Lab } from '../../src/lab/index.js';
import { Prng } from '../../src/sim/prng.js';
import { canonicalIp } from '../../src/vrrp/ip-address.js';
import { masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { readCaptureContents, type CaptureContents } from '../lib/capture-analysis.js';
import { takeoverTiming } from '../lib/takeover.js';
import { keepalivedConf } from '../lib/conf.js';
import { daemonOrder, startDaemon, type DaemonKind } from '../lib/daemons.js';
import { fmt, markdownTable, pair } from '../lib/format.js';
import { waitForHolders } from '../lib/lab-helpers.js';
import { nextPhaseAt } from '../lib/phase.js';
import { HostLoadWindow } from '../lib/machine.js';
import { atMost, errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { sleep } from '../lib/sleep.js';
import { median, ratio, summarize } from '../stats.js';

export type FailoverEvent = 'link-cut' | 'sigterm';

export interface FailoverScenario {
  name: string;
  version: 2 | 3;
  /** keepalived's advert_int, seconds. */
  advertInt: number;
  family: 4 | 6;
  /** Repetitions per mode (each runs both daemons). */
  reps: Record<Mode, number>;
}

export const FAILOVER_SCENARIOS: readonly FailoverScenario[] = [
  { name: 'v2 advert_int 1', version: 2, advertInt: 1, family: 4, reps: { quick: 1, default: 3, long: 8 } },
  { name: 'v3 advert_int 0.1', version: 3, advertInt: 0.1, family: 4, reps: { quick: 1, default: 4, long: 10 } },
  { name: 'v3 advert_int 0.01', version: 3, advertInt: 0.01, family: 4, reps: { quick: 1, default: 4, long: 10 } },
  { name: 'v3 advert_int 0.5 IPv6', version: 3, advertInt: 0.5, family: 6, reps: { quick: 1, default: 3, long: 8 } },
];

const MASTER_PRIORITY = 150;
const BACKUP_PRIORITY = 100;
const PROBE_INTERVAL_MS = 10;

export interface FailoverRun {
  scenario: string;
  event: FailoverEvent;
  daemon: DaemonKind;
  rep: number;
  /** Where in the advert cycle the event was aimed (0…1, seeded). */
  phase: number;
  /** Where it fell, from the capture: (event time − master's last advert) / interval. */
  actualPhase: number | null;
  gapMs: number;
  lostProbes: number;
  /** b's first gratuitous ARP / unsolicited NA minus its master-down (or skew) deadline. */
  overheadMs: number | null;
  /**
   * SIGTERM only: the client's last reply before the gap minus a's priority-0 advert on the wire
   * — how long the leaving master kept answering for the VIP after saying goodbye.
   */
  servedAfterGoodbyeMs: number | null;
  /** The client's first reply after the gap minus b's first announcement. */
  recoveryAfterAnnounceMs: number | null;
  /**
   * b's VIP appearing on its interface (ip monitor) minus its first announcement: negative when
   * b owned the address before announcing it, as it should.
   */
  vipUpAfterAnnounceMs: number | null;
}

/** What b waits for: Master_Down_Interval after a silent master, Skew_Time after priority 0. */
export function failoverTimerMs(scenario: Pick<FailoverScenario, 'version' | 'advertInt'>, event: FailoverEvent): number {
  const interval = scenario.advertInt * 1000;
  return event === 'sigterm'
    ? skewTimeMs(scenario.version, BACKUP_PRIORITY, interval)
    : masterDownIntervalMs(scenario.version, BACKUP_PRIORITY, interval);
}

/** The master's last advert before `at` in a capture, or undefined. */
function lastAdvertBefore(contents: CaptureContents, masterIp: string, at: number): number | undefined {
  const ip = canonicalIp(masterIp);
  let last: number | undefined;
  for (const advert of contents.adverts) {
    if (advert.ms > at) break;
    if (canonicalIp(advert.source) === ip) last = advert.ms;
  }
  return last;
}

/**
 * Sleeps until `phase` (0…1) into one of the master's coming advert cycles, reckoned from its
 * last advert in the running capture; returns the time aimed at (epoch ms).
 */
async function waitForPhase(capturePath: string, masterIp: string, intervalMs: number, phase: number): Promise<number> {
  const now = Date.now();
  const last = lastAdvertBefore(await readCaptureContents(capturePath), masterIp, now);
  if (last === undefined) return now;
  const target = nextPhaseAt(last, now, intervalMs, phase);
  await sleep(target - Date.now());
  return target;
}

async function runOnce(scenario: FailoverScenario, event: FailoverEvent, daemon: DaemonKind, rep: number, phase: number, root: string): Promise<FailoverRun> {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: scenario.family === 6 });
  try {
    const vip = scenario.family === 4 ? lab.vip4(0) : lab.vip6(0);
    const spec = { version: scenario.version, advertInt: scenario.advertInt, vips: [`${vip}/${scenario.family === 4 ? 24 : 64}`] };
    const intervalMs = scenario.advertInt * 1000;
    const a = await startDaemon(lab, daemon, 'a', keepalivedConf({ ...spec, priority: MASTER_PRIORITY }), root);
    await startDaemon(lab, daemon, 'b', keepalivedConf({ ...spec, priority: BACKUP_PRIORITY }), root);
    await waitForHolders(lab, vip, 'a');
    const monitor = await AddressMonitor.start(lab, 'b');
    const capture = await lab.capture('switch', 'proto 112 or arp or icmp6', { iface: 'br0' });
    // Let b hear a few adverts (also into the capture) so its timers run from a steady state.
    await sleep(Math.max(500, 2.5 * intervalMs));
    const prober = await lab.startProber('client', vip, { intervalMs: PROBE_INTERVAL_MS, drainMs: 300 });
    const hostA = lab.host('a');
    // IPv6 adverts come from the link-local address (RFC 5798 §5.1.2.1).
    const masterIp = scenario.family === 4 ? hostA.ipv4 : (hostA.linkLocal as string);
    await sleep(200);
    await waitForPhase(capture.path, masterIp, intervalMs, phase);
    const eventAt = Date.now();
    if (event === 'link-cut') await lab.cutLink('a');
    else await a.stop();
    // Poll only once b should be done, and slowly: polling costs CPU the daemons need.
    await sleep(failoverTimerMs(scenario, event) + 50);
    await waitForHolders(lab, vip, 'b', { intervalMs: 50, timeoutMs: 20_000 });
    await sleep(300);
    const report = await prober.stop();
    const contents = await readCaptureContents(await capture.stop());
    const last = lastAdvertBefore(contents, masterIp, eventAt);
    const timing = takeoverTiming(contents, {
      masterIp,
      backupMac: lab.host('b').mac,
      vip,
      version: scenario.version,
      intervalMs,
      backupPriority: BACKUP_PRIORITY,
      after: eventAt - 2 * intervalMs,
    });
    const gap = report.gaps.find((g) => g.ms === report.maxGapMs && !g.open);
    const vipUpAt = await monitor.addedAt(vip, eventAt - 2 * intervalMs);
    const goodbye = contents.adverts.find((x) => x.priority === 0 && x.ms >= eventAt - 1000 && canonicalIp(x.source) === canonicalIp(masterIp));
    return {
      scenario: scenario.name,
      event,
      daemon,
      rep,
      phase,
      actualPhase: last === undefined ? null : (eventAt - last) / intervalMs,
      gapMs: report.maxGapMs,
      lostProbes: report.lost,
      overheadMs: timing?.overheadMs ?? null,
      servedAfterGoodbyeMs: event === 'sigterm' && gap && goodbye ? gap.startedAt - goodbye.ms : null,
      recoveryAfterAnnounceMs: gap && timing ? gap.startedAt + gap.ms - timing.announcedAt : null,
      vipUpAfterAnnounceMs: vipUpAt !== undefined && timing ? vipUpAt - timing.announcedAt : null,
    };
  } finally {
    await lab.destroy();
  }
}

interface ScenarioSummary {
  scenario: string;
  timerMs: number;
  hs: ReturnType<typeof summarize>;
  ka: ReturnType<typeof summarize>;
  /** median(hs) / median(ka). */
  ratio: number;
  /** Median over repetitions of hs − ka (same phase), ms. */
  pairedDeltaMs: number;
  hsOverheadMs: number;
  kaOverheadMs: number;
  /** Medians of servedAfterGoodbyeMs (SIGTERM). */
  hsServedAfterGoodbyeMs: number;
  kaServedAfterGoodbyeMs: number;
  /** Medians of recoveryAfterAnnounceMs. */
  hsRecoveryMs: number;
  kaRecoveryMs: number;
  /** Medians of vipUpAfterAnnounceMs. */
  hsVipUpAfterAnnounceMs: number;
  kaVipUpAfterAnnounceMs: number;
}

function summariseScenario(scenario: FailoverScenario, event: FailoverEvent, runs: readonly FailoverRun[]): ScenarioSummary {
  const mine = runs.filter((r) => r.scenario === scenario.name && r.event === event);
  const of = (daemon: DaemonKind) => mine.filter((r) => r.daemon === daemon);
  const hs = summarize(of('hotstandby').map((r) => r.gapMs));
  const ka = summarize(of('keepalived').map((r) => r.gapMs));
  const deltas: number[] = [];
  for (const run of of('hotstandby')) {
    const other = of('keepalived').find((r) => r.rep === run.rep);
    if (other) deltas.push(run.gapMs - other.gapMs);
  }
  const medianOf = (daemon: DaemonKind, pick: (r: FailoverRun) => number | null) =>
    median(of(daemon).flatMap((r) => {
      const value = pick(r);
      return value === null ? [] : [value];
    }));
  return {
    scenario: scenario.name,
    timerMs: failoverTimerMs(scenario, event),
    hs,
    ka,
    ratio: ratio(hs.median, ka.median),
    pairedDeltaMs: median(deltas),
    hsOverheadMs: medianOf('hotstandby', (r) => r.overheadMs),
    kaOverheadMs: medianOf('keepalived', (r) => r.overheadMs),
    hsServedAfterGoodbyeMs: medianOf('hotstandby', (r) => r.servedAfterGoodbyeMs),
    kaServedAfterGoodbyeMs: medianOf('keepalived', (r) => r.servedAfterGoodbyeMs),
    hsRecoveryMs: medianOf('hotstandby', (r) => r.recoveryAfterAnnounceMs),
    kaRecoveryMs: medianOf('keepalived', (r) => r.recoveryAfterAnnounceMs),
    hsVipUpAfterAnnounceMs: medianOf('hotstandby', (r) => r.vipUpAfterAnnounceMs),
    kaVipUpAfterAnnounceMs: medianOf('keepalived', (r) => r.vipUpAfterAnnounceMs),
  };
}

const ROW_OF: Record<FailoverEvent, { id: string; title: string }> = {
  'link-cut': { id: '1', title: "Unplanned failover (master's link cut, carrier loss)" },
  sigterm: { id: '2', title: 'Planned failover (SIGTERM on the master)' },
};

/** Runs row 1 (link cut) and/or row 2 (SIGTERM) over every scenario. */
export async function runFailoverRows(ctx: BenchContext, ids: readonly string[]): Promise<RowResult[]> {
  const events = (['link-cut', 'sigterm'] as const).filter((event) => ids.includes(ROW_OF[event].id));
  const results: RowResult[] = [];
  for (const event of events) {
    const { id, title } = ROW_OF[event];
    const load = new HostLoadWindow();
    // One generator per row, so a row's phases do not depend on which other rows run.
    const prng = new Prng(ctx.seed * 1000 + Number(id));
    const runs: FailoverRun[] = [];
    const errors: string[] = [];
    for (const scenario of FAILOVER_SCENARIOS) {
      const reps = ctx.reps ?? scenario.reps[ctx.mode];
      for (let rep = 0; rep < reps; rep++) {
        const phase = prng.next();
        for (const daemon of daemonOrder(rep)) {
          try {
            const run = await runOnce(scenario, event, daemon, rep, phase, ctx.hotstandbyRoot);
            runs.push(run);
            ctx.log(
              `  [${id}] ${scenario.name} ${event} ${daemon} rep ${rep + 1}/${reps} phase ${fmt(phase, 2)} (hit ${fmt(run.actualPhase, 2)}): gap ${fmt(run.gapMs)} ms, overhead ${fmt(run.overheadMs, 2)} ms`,
            );
          } catch (error) {
            errors.push(`${scenario.name} ${event} ${daemon} rep ${rep + 1}: ${errorText(error)}`);
            ctx.log(`  [${id}] ${scenario.name} ${event} ${daemon} rep ${rep + 1}: FAILED ${errorText(error)}`);
          }
        }
      }
    }
    const summaries = FAILOVER_SCENARIOS.map((scenario) => summariseScenario(scenario, event, runs));
    const goals: Goal[] = summaries.map((s) => {
      const what = `${event === 'link-cut' ? 'unplanned' : 'planned'} gap ratio hs/ka, ${s.scenario}`;
      // No gap for either daemon (a planned failover at 10 ms loses no 10 ms probe): no ratio, but hs is no worse.
      if (s.ka.median === 0 && s.hs.median === 0) return { row: id, what, target: '≤ 1.0', measured: 'no gap for either', met: true };
      return atMost(id, what, s.ratio, 1.0, fmt(s.ratio, 4), '≤ 1.0');
    });
    const planned = event === 'sigterm';
    const table = markdownTable(
      [
        'scenario',
        planned ? 'skew ms' : 'master-down ms',
        'hs gap median / p90 ms',
        'ka gap median / p90 ms',
        'ratio hs/ka',
        'paired Δ ms',
        'takeover overhead hs / ka ms',
        'VIP up − 1st GARP hs / ka ms',
        ...(planned ? ['served after goodbye hs / ka ms'] : []),
        'n',
      ],
      summaries.map((s) => [
        s.scenario,
        fmt(s.timerMs),
        pair(s.hs.median, s.hs.p90),
        pair(s.ka.median, s.ka.p90),
        fmt(s.ratio, 3),
        fmt(s.pairedDeltaMs),
        pair(s.hsOverheadMs, s.kaOverheadMs, 2),
        pair(s.hsVipUpAfterAnnounceMs, s.kaVipUpAfterAnnounceMs, 2),
        ...(planned ? [pair(s.hsServedAfterGoodbyeMs, s.kaServedAfterGoodbyeMs)] : []),
        `${s.hs.n} / ${s.ka.n}`,
      ]),
    );
    results.push({
      id,
      title,
      table,
      notes: [
        `Client probes every ${PROBE_INTERVAL_MS} ms; gap = longest run without replies. Backup priority ${BACKUP_PRIORITY}. ` +
          'Paired Δ: median over repetitions of hs − ka at the same phase of the advert cycle. ' +
          'Takeover overhead: b’s first gratuitous ARP / unsolicited NA after its timer was due (from the switch capture). ' +
          'VIP up − 1st GARP: when the VIP appeared on b (ip -ts monitor in b) relative to b’s first announcement; positive = announced before owned.' +
          (event === 'sigterm' ? ' Served after goodbye: the client’s last reply before the gap minus a’s priority-0 advert (±10 ms probe spacing).' : ''),
      ],
      goals,
      load: load.stop(),
      data: { summaries, runs },
      errors,
    });
  }
  return results;
}
