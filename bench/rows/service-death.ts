/**
 * Row 3: service death — the web server killed (SIGKILL) on the master, and how soon the VIP is
 * on the backup, hotstandby's checks against keepalived's.
 *
 * A pair a (priority 150) / b (100), v3 at 0.1 s adverts, each host running nginx as one process
 * and a daemon that tracks its own nginx: a process check (keepalived.conf track_process, or a
 * pid-file check in hotstandby's YAML), hotstandby's native HTTP check (200 ms, fall 2), or a
 * vrrp_script running curl (interval 1, fall 2) — every check with weight 0, so a's failure is
 * FAULT, a priority-0 advert, and b's Skew_Time (~61 ms). A fresh lab per run. The kill is aimed
 * at a seeded phase of a's health-check cycle (the checks' requests in a's nginx access log; the
 * same phase for every variant of a repetition), and measured against:
 *   - the VIP appearing on b (`ip -ts monitor address` in b), relative to the kill;
 *   - the client's longest gap between answers, GETting the VIP every 10 ms on fresh connections.
 * "Over schedule" is the VIP's time minus what the check's schedule allows: fall looks after the
 * kill's phase, plus Skew_Time. keepalived's track_process needs the kernel's process events
 * connector, which answers only in the initial network namespace: where keepalived says so, that
 * variant is reported as not measurable (not as a failed run).
 */
import { AddressMonitor, Lab, waitFor, type HttpProbeReport, type LabProcess } from '../../src/lab/index.js';
import { Prng } from '../../src/sim/prng.js';
import { skewTimeMs } from '../../src/vrrp/timers.js';
import { daemonOrder, startDaemon, type DaemonKind } from '../lib/daemons.js';
import { fmt, markdownTable, pair } from '../lib/format.js';
import { waitForHolders } from '../lib/lab-helpers.js';
import { HostLoadWindow } from '../lib/machine.js';
import { nextPhaseAt, phaseOf } from '../lib/phase.js';
import { errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { sleep } from '../lib/sleep.js';
import { isYamlCheck, webPairKeepalivedConf, webPairYaml, type WebCheck, type WebPairSpec } from '../lib/web-check-conf.js';
import { startWebServer, type WebServer } from '../lib/web-server.js';
import { startHotstandbyYaml } from '../lib/yaml-daemon.js';
import { median, ratio, summarize, type Summary } from '../stats.js';

const MASTER_PRIORITY = 150;
const BACKUP_PRIORITY = 100;
const ADVERT_INT_S = 0.1;
const VRID = 60;
const PROBE_INTERVAL_MS = 10;
/** The client gives up on a request after this (a dead server answers with a reset at once). */
const PROBE_TIMEOUT_MS = 500;
/** After the client is served by a: the checks run a few cycles before the kill. */
const SETTLE_MS = 1000;
const GOAL_MS = 100;
const REPS: Record<Mode, number> = { quick: 1, default: 4, long: 8 };

export type VariantKey = 'hs-track-process' | 'hs-pid-file' | 'ka-track-process' | 'hs-http' | 'hs-curl' | 'ka-curl';

interface Variant {
  key: VariantKey;
  label: string;
  daemon: DaemonKind;
  check: WebCheck;
  /** The keepalived variant a hotstandby variant is compared with. */
  baseline?: VariantKey;
}

const CURL: WebCheck = { kind: 'curl-script', intervalS: 1, fall: 2, rise: 2 };

/** In table order: the process checks, then the HTTP checks. */
export const VARIANTS: readonly Variant[] = [
  { key: 'hs-track-process', label: 'hs, process check (keepalived.conf track_process)', daemon: 'hotstandby', check: { kind: 'track-process' }, baseline: 'ka-track-process' },
  { key: 'hs-pid-file', label: 'hs, process check (YAML, pid file)', daemon: 'hotstandby', check: { kind: 'yaml-process' }, baseline: 'ka-track-process' },
  { key: 'ka-track-process', label: 'ka, track_process', daemon: 'keepalived', check: { kind: 'track-process' } },
  {
    key: 'hs-http',
    label: 'hs, HTTP check (YAML, 200 ms, fall 2)',
    daemon: 'hotstandby',
    check: { kind: 'yaml-http', intervalMs: 200, timeoutMs: 150, fall: 2, rise: 2 },
    baseline: 'ka-curl',
  },
  { key: 'hs-curl', label: 'hs, curl vrrp_script (1 s, fall 2)', daemon: 'hotstandby', check: CURL, baseline: 'ka-curl' },
  { key: 'ka-curl', label: 'ka, curl vrrp_script (1 s, fall 2)', daemon: 'keepalived', check: CURL },
];

/** How often the check looks at the server, for the checks that send requests; undefined for process checks. */
function checkCycleMs(check: WebCheck): number | undefined {
  if (check.kind === 'curl-script') return check.intervalS * 1000;
  if (check.kind === 'yaml-http') return check.intervalMs;
  return undefined;
}

function checkFall(check: WebCheck): number {
  return check.kind === 'curl-script' || check.kind === 'yaml-http' ? check.fall : 1;
}

/** b's wait after a's priority-0 advert (RFC 5798 §6.1: Skew_Time). */
const SKEW_MS = skewTimeMs(3, BACKUP_PRIORITY, ADVERT_INT_S * 1000);

/**
 * A variant this machine cannot run (the baseline lacks the feature here): reported as such in the
 * table, not as a failed run.
 */
export class VariantUnavailable extends Error {}

/** keepalived's own words when the process events connector refuses it (outside the initial network namespace). */
const KEEPALIVED_NO_PROCESS_EVENTS = /Failed to set\/clear process event listen[^\n]*/;

export interface ServiceDeathRun {
  variant: VariantKey;
  daemon: DaemonKind;
  rep: number;
  /** The phase of the check cycle the kill was aimed at (0…1, seeded). */
  phase: number;
  /** Where it fell: (kill − a's last check request) / check interval; null for process checks. */
  actualPhase: number | null;
  /** The VIP added on b (ip monitor in b) minus the kill, ms. */
  vipOnBackupMs: number;
  /** What the check's schedule allows: (fall − actual phase) × interval (process checks: 0), plus Skew_Time. */
  scheduleMs: number;
  /** The client's longest time between two answers, ms. */
  httpGapMs: number;
  failedRequests: number;
  /** Which nodes served the client, in order ("a,b" expected). */
  servedBy: string;
}

async function startNode(lab: Lab, variant: Variant, spec: WebPairSpec, host: string, root: string): Promise<LabProcess> {
  if (isYamlCheck(variant.check)) return startHotstandbyYaml(lab, host, webPairYaml(spec), root);
  return (await startDaemon(lab, variant.daemon, host, webPairKeepalivedConf(spec), root)).process;
}

/** Waits for the VIP on a; throws VariantUnavailable when keepalived says it cannot track processes here. */
async function waitForMasterA(lab: Lab, vip: string, a: LabProcess, variant: Variant): Promise<void> {
  const outcome = await waitFor(
    async () => {
      if ((await lab.vipHolder(vip)).join(',') === 'a') return 'a';
      if (variant.daemon === 'keepalived') return KEEPALIVED_NO_PROCESS_EVENTS.exec(await a.readLog())?.[0];
      return undefined;
    },
    { description: `the VIP ${vip} on a (${variant.label})`, timeoutMs: 30_000 },
  );
  if (outcome !== 'a') {
    throw new VariantUnavailable(
      `keepalived 2.2.7 cannot subscribe to process events in a network namespace other than the initial one ("${outcome}"), so its track_process never sees nginx and the instance stays in FAULT`,
    );
  }
}

/** Sleeps until `phase` into a's check cycle, reckoned from the check's last request in a's access log. */
async function waitForCheckPhase(server: WebServer, cycleMs: number, phase: number): Promise<void> {
  const now = Date.now();
  const last = (await server.localRequestTimes()).filter((t) => t <= now).at(-1);
  await sleep(last === undefined ? phase * cycleMs : nextPhaseAt(last, now, cycleMs, phase) - Date.now());
}

/** The client's last `last` requests were all answered by `node`. */
function servedOnlyBy(results: readonly { ok: boolean; node?: string }[], node: string, last: number): boolean {
  const tail = results.slice(-last);
  return tail.length === last && tail.every((r) => r.ok && r.node === node);
}

async function runOnce(variant: Variant, rep: number, phase: number, root: string): Promise<ServiceDeathRun> {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  try {
    const vip = lab.vip4(0);
    const webA = await startWebServer(lab, 'a');
    const webB = await startWebServer(lab, 'b');
    const spec = (priority: number, server: WebServer): WebPairSpec => ({ priority, vip: `${vip}/24`, vrid: VRID, advertIntS: ADVERT_INT_S, check: variant.check, server });
    const a = await startNode(lab, variant, spec(MASTER_PRIORITY, webA), 'a', root);
    await startNode(lab, variant, spec(BACKUP_PRIORITY, webB), 'b', root);
    await waitForMasterA(lab, vip, a, variant);
    const monitor = await AddressMonitor.start(lab, 'b');
    const client = lab.startHttpProber('client', `http://${vip}/`, { intervalMs: PROBE_INTERVAL_MS, timeoutMs: PROBE_TIMEOUT_MS });
    await waitFor(() => servedOnlyBy(client.results, 'a', 3), { description: 'the client served by a' });
    await sleep(SETTLE_MS);

    const cycleMs = checkCycleMs(variant.check);
    // Process checks have no cycle of their own: the phase is of a 1 s window, so the kill falls anywhere in a's advert cycle.
    if (cycleMs === undefined) await sleep(phase * 1000);
    else await waitForCheckPhase(webA, cycleMs, phase);
    const killedAt = Date.now();
    const exited = webA.process.stop('SIGKILL');

    // The monitor's log is a file read; polling `ip` in every host would compete with the daemons.
    const vipUpAt = await waitFor(async () => monitor.addedAt(vip, killedAt), {
      description: `the VIP ${vip} on b after nginx on a was killed`,
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    await exited;
    await waitForHolders(lab, vip, 'b', { timeoutMs: 10_000 });
    await waitFor(() => servedOnlyBy(client.results, 'b', 3), { description: 'the client served by b' });
    await sleep(200);
    const report: HttpProbeReport = await client.stop();
    await monitor.stop();

    let actualPhase: number | null = null;
    let scheduleMs = SKEW_MS;
    if (cycleMs !== undefined) {
      const last = (await webA.localRequestTimes()).filter((t) => t <= killedAt).at(-1);
      if (last !== undefined) {
        actualPhase = phaseOf(killedAt, last, cycleMs);
        scheduleMs += (checkFall(variant.check) - actualPhase) * cycleMs;
      } else scheduleMs = Number.NaN;
    }
    return {
      variant: variant.key,
      daemon: variant.daemon,
      rep,
      phase,
      actualPhase,
      vipOnBackupMs: vipUpAt - killedAt,
      scheduleMs,
      httpGapMs: report.maxGapMs,
      failedRequests: report.failed,
      servedBy: report.servedBy.map((s) => s.node).join(','),
    };
  } finally {
    await lab.destroy();
  }
}

interface VariantSummary {
  key: VariantKey;
  label: string;
  vipOnBackup: Summary;
  overScheduleMs: number;
  httpGap: Summary;
  /** median(this) / median(baseline), VIP on b and client gap. */
  vipRatio: number;
  gapRatio: number;
  baseline: string | undefined;
  unavailable: string | undefined;
}

function summariseVariants(runs: readonly ServiceDeathRun[], unavailable: ReadonlyMap<VariantKey, string>): VariantSummary[] {
  const of = (key: VariantKey) => runs.filter((r) => r.variant === key);
  const vip = (key: VariantKey) => summarize(of(key).map((r) => r.vipOnBackupMs));
  const gap = (key: VariantKey) => summarize(of(key).map((r) => r.httpGapMs));
  return VARIANTS.map((v) => ({
    key: v.key,
    label: v.label,
    vipOnBackup: vip(v.key),
    overScheduleMs: median(of(v.key).flatMap((r) => (Number.isFinite(r.scheduleMs) ? [r.vipOnBackupMs - r.scheduleMs] : []))),
    httpGap: gap(v.key),
    vipRatio: v.baseline ? ratio(vip(v.key).median, vip(v.baseline).median) : Number.NaN,
    gapRatio: v.baseline ? ratio(gap(v.key).median, gap(v.baseline).median) : Number.NaN,
    baseline: v.baseline ? VARIANTS.find((b) => b.key === v.baseline)?.label : undefined,
    unavailable: unavailable.get(v.key),
  }));
}

function tableRow(s: VariantSummary): string[] {
  if (s.unavailable !== undefined) return [s.label, 'not measurable here (see below)', '-', '-', '-', '0'];
  const baseline = s.baseline?.replace(/ \(.*\)$/, '');
  let against = 'baseline';
  if (baseline !== undefined) against = Number.isFinite(s.vipRatio) ? `${fmt(s.vipRatio, 2)} / ${fmt(s.gapRatio, 2)} vs ${baseline}` : `- (${baseline} not measured)`;
  return [s.label, pair(s.vipOnBackup.median, s.vipOnBackup.p90), fmt(s.overScheduleMs), pair(s.httpGap.median, s.httpGap.p90), against, String(s.vipOnBackup.n)];
}

export async function runServiceDeathRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  // One generator per row, so its phases do not depend on which other rows run.
  const prng = new Prng(ctx.seed * 1000 + 3);
  const reps = ctx.reps ?? REPS[ctx.mode];
  const runs: ServiceDeathRun[] = [];
  const errors: string[] = [];
  const unavailable = new Map<VariantKey, string>();
  for (let rep = 0; rep < reps; rep++) {
    const phase = prng.next();
    for (const daemon of daemonOrder(rep)) {
      for (const variant of VARIANTS.filter((v) => v.daemon === daemon && !unavailable.has(v.key))) {
        try {
          const run = await runOnce(variant, rep, phase, ctx.hotstandbyRoot);
          runs.push(run);
          ctx.log(
            `  [3] ${variant.key} rep ${rep + 1}/${reps} phase ${fmt(phase, 2)} (hit ${fmt(run.actualPhase, 2)}): VIP on b ${fmt(run.vipOnBackupMs)} ms ` +
              `(schedule ${fmt(run.scheduleMs)} ms), client gap ${fmt(run.httpGapMs)} ms, served by ${run.servedBy}`,
          );
        } catch (error) {
          if (error instanceof VariantUnavailable) {
            unavailable.set(variant.key, error.message);
            ctx.log(`  [3] ${variant.key}: not measurable here: ${error.message}`);
          } else {
            errors.push(`${variant.key} rep ${rep + 1}: ${errorText(error)}`);
            ctx.log(`  [3] ${variant.key} rep ${rep + 1}: FAILED ${errorText(error)}`);
          }
        }
      }
    }
  }
  const summaries = summariseVariants(runs, unavailable);
  const processCheck = summaries.find((s) => s.key === 'hs-track-process') as VariantSummary;
  const goals: Goal[] = [
    {
      row: '3',
      what: 'service death → VIP on backup, process check (hs)',
      target: `< ${GOAL_MS} ms`,
      measured: `${fmt(processCheck.vipOnBackup.median)} ms (p90 ${fmt(processCheck.vipOnBackup.p90)} ms, n ${processCheck.vipOnBackup.n})`,
      met: Number.isFinite(processCheck.vipOnBackup.median) ? processCheck.vipOnBackup.median < GOAL_MS : null,
    },
  ];
  const table = markdownTable(
    ['variant', 'VIP on b after kill median / p90 ms', 'over schedule median ms', 'client HTTP gap median / p90 ms', 'ratio VIP / gap vs ka', 'n'],
    summaries.map(tableRow),
  );
  const notes = [
    `nginx (one process) killed with SIGKILL on the master a; b's Skew_Time ${fmt(SKEW_MS)} ms (v3, ${ADVERT_INT_S} s adverts, priority ${BACKUP_PRIORITY}). ` +
      'Every check has weight 0: a failed check is FAULT and a priority-0 advert, so the variants differ only in detection. A fresh lab per run; ' +
      `${reps} repetition(s), hotstandby and keepalived alternating, the kill at the same seeded phase of a's check cycle (from the checks' requests in nginx's access log) for every variant of a repetition.`,
    "VIP on b: when the address appeared on b (ip -ts monitor in b) after the kill. Over schedule: that minus what the check's schedule allows — " +
      "(fall − phase) × interval for the HTTP checks, 0 for process checks — plus Skew_Time. " +
      `Client gap: the longest time between two answers of a client GETting the VIP every ${PROBE_INTERVAL_MS} ms on fresh connections.`,
    ...[...unavailable].map(([key, reason]) => `${key}: not measurable here: ${reason} (known: acassen/keepalived#1469).`),
  ];
  return [
    {
      id: '3',
      title: 'Service death (the web server killed on the master)',
      table,
      notes,
      goals,
      load: load.stop(),
      data: { skewMs: SKEW_MS, summaries, runs, unavailable: Object.fromEntries(unavailable) },
      errors,
    },
  ];
}
