/**
 * Row 6: stability and timer accuracy. A settled pair at 10 ms and 50 ms adverts, idle and with
 * every core kept busy by busy-loop processes: state changes during the window are false
 * transitions (nothing happened that should move either router), and the master's advert
 * intervals on the switch show how well its timer keeps time. Host steal and load sit next to
 * each run, since on a shared machine they explain much of the tail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { Lab } from '../../src/lab/index.js';
import { advertIntervals, readCaptureContents } from '../lib/capture-analysis.js';
import { keepalivedConf } from '../lib/conf.js';
import { daemonOrder, startDaemon, type DaemonKind } from '../lib/daemons.js';
import { fmt, markdownTable } from '../lib/format.js';
import { waitForHolders } from '../lib/lab-helpers.js';
import { HostLoadWindow, describeLoad, type HostLoad } from '../lib/machine.js';
import { atMost, errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { sleep } from '../lib/sleep.js';
import { median, summarize, type Summary } from '../stats.js';
import { windowSecondsFrom } from '../lib/options.js';

const INTERVALS_S = [0.01, 0.05] as const;
const LOADS = ['idle', 'busy'] as const;
/** From this advert interval on, any false transition misses the goal (below: no more than keepalived). */
const ZERO_FLAPS_FROM_S = 0.05;
type LoadKind = (typeof LOADS)[number];
const SECONDS: Record<Mode, number> = { quick: 5, default: 20, long: 180 };
const VRID = 51;

interface StabilityRun {
  intervalS: number;
  load: LoadKind;
  daemon: DaemonKind;
  seconds: number;
  falseTransitions: number;
  /** States entered during the window, per router. */
  statesA: string[];
  statesB: string[];
  intervals: Summary;
  /** Adverts from the backup during the window (it should stay silent). */
  backupAdverts: number;
  host: HostLoad;
}

/**
 * One busy-loop process per core, ended with the returned function. The parent-death signal
 * (setpriv) makes sure none outlives a benchmark that is killed.
 */
function startBusyLoops(count: number): () => void {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    children.push(spawn('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }));
  }
  return () => {
    for (const child of children) child.kill('SIGKILL');
  };
}

async function runOnce(intervalS: number, load: LoadKind, daemon: DaemonKind, seconds: number, root: string): Promise<StabilityRun> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  let stopLoad: (() => void) | undefined;
  try {
    const vip = lab.vip4(0);
    const spec = { version: 3 as const, advertInt: intervalS, vips: [`${vip}/24`], vrid: VRID };
    const a = await startDaemon(lab, daemon, 'a', keepalivedConf({ ...spec, priority: 150 }), root);
    const b = await startDaemon(lab, daemon, 'b', keepalivedConf({ ...spec, priority: 100 }), root);
    await waitForHolders(lab, vip, 'a');
    await sleep(1000);
    if (load === 'busy') stopLoad = startBusyLoops(cpus().length);
    const capture = await lab.capture('switch', 'proto 112', { iface: 'br0' });
    const beforeA = (await a.transitions()).length;
    const beforeB = (await b.transitions()).length;
    const host = new HostLoadWindow();
    const from = Date.now();
    await sleep(seconds * 1000);
    const to = Date.now();
    const hostLoad = host.stop();
    stopLoad?.();
    stopLoad = undefined;
    const statesA = (await a.transitions()).slice(beforeA);
    const statesB = (await b.transitions()).slice(beforeB);
    const contents = await readCaptureContents(await capture.stop());
    const hostA = lab.host('a');
    const hostB = lab.host('b');
    return {
      intervalS,
      load,
      daemon,
      seconds,
      falseTransitions: statesA.length + statesB.length,
      statesA,
      statesB,
      intervals: summarize(advertIntervals(contents.adverts, hostA.ipv4, VRID, from, to)),
      backupAdverts: contents.adverts.filter((x) => x.source === hostB.ipv4 && x.ms >= from && x.ms <= to).length,
      host: hostLoad,
    };
  } finally {
    stopLoad?.();
    await lab.destroy();
  }
}

export async function runStabilityRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  const seconds = windowSecondsFrom('BENCH_STABILITY_SECONDS', SECONDS, ctx.mode);
  const reps = ctx.reps !== undefined ? Math.min(ctx.reps, 3) : 1;
  const runs: StabilityRun[] = [];
  const errors: string[] = [];
  let turn = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (const intervalS of INTERVALS_S) {
      for (const loadKind of LOADS) {
        for (const daemon of daemonOrder(turn++)) {
          try {
            const run = await runOnce(intervalS, loadKind, daemon, seconds, ctx.hotstandbyRoot);
            runs.push(run);
            ctx.log(
              `  [6] ${intervalS} s ${loadKind} ${daemon}: ${run.falseTransitions} false transitions, interval p50 ${fmt(run.intervals.p50, 2)} / p99 ${fmt(run.intervals.p99, 2)} / max ${fmt(run.intervals.max, 2)} ms; ${describeLoad(run.host)}`,
            );
          } catch (error) {
            errors.push(`${intervalS} s ${loadKind} ${daemon}: ${errorText(error)}`);
            ctx.log(`  [6] ${intervalS} s ${loadKind} ${daemon}: FAILED ${errorText(error)}`);
          }
        }
      }
    }
  }
  const rows: string[][] = [];
  const goals: Goal[] = [];
  for (const intervalS of INTERVALS_S) {
    for (const loadKind of LOADS) {
      const of = (daemon: DaemonKind) => runs.filter((r) => r.intervalS === intervalS && r.load === loadKind && r.daemon === daemon);
      const flaps = (daemon: DaemonKind) => of(daemon).reduce((n, r) => n + r.falseTransitions, 0);
      const timing = (daemon: DaemonKind) => {
        const p50 = summarize(of(daemon).map((r) => r.intervals.p50));
        const p99 = summarize(of(daemon).map((r) => r.intervals.p99));
        const max = Math.max(...of(daemon).map((r) => r.intervals.max));
        return `${fmt(p50.median, 2)} / ${fmt(p99.median, 2)} / ${fmt(max, 2)}`;
      };
      const hostOf = (daemon: DaemonKind) => {
        const r = of(daemon)[0];
        return r ? `${fmt(r.host.stealPct)} / ${fmt(r.host.busyPct, 0)} / ${fmt(r.host.loadMean)}` : '-';
      };
      rows.push([
        `${intervalS * 1000} ms`,
        loadKind,
        `${flaps('hotstandby')} / ${flaps('keepalived')}`,
        timing('hotstandby'),
        timing('keepalived'),
        hostOf('hotstandby'),
        hostOf('keepalived'),
      ]);
      if (of('hotstandby').length > 0 && of('keepalived').length > 0) {
        const hs = flaps('hotstandby');
        const ka = flaps('keepalived');
        // The issue's goals: at 10 ms (where these VMs' stalls make keepalived flap too) no more
        // than keepalived in the same run; at 50 ms none at all, loaded or not.
        goals.push(
          intervalS < ZERO_FLAPS_FROM_S
            ? { row: '6', what: `false transitions no more than keepalived's, ${intervalS * 1000} ms ${loadKind}`, target: `hs ≤ ka (ka: ${ka})`, measured: String(hs), met: hs <= ka }
            : { row: '6', what: `no false transitions, ${intervalS * 1000} ms ${loadKind}`, target: `0 (ka: ${ka})`, measured: String(hs), met: hs === 0 },
        );
        const hsP99 = median(of('hotstandby').map((r) => r.intervals.p99));
        const kaP99 = median(of('keepalived').map((r) => r.intervals.p99));
        goals.push(
          atMost('6', `master's advert interval p99 no worse than keepalived's, ${intervalS * 1000} ms ${loadKind}`, hsP99, kaP99, `${fmt(hsP99, 2)} ms`, `≤ ka (${fmt(kaP99, 2)} ms)`),
        );
      }
    }
  }
  return [
    {
      id: '6',
      title: 'Stability and timer accuracy (settled pair)',
      table: markdownTable(
        ['adverts', 'load', 'false transitions hs / ka', 'hs interval p50 / p99 / max ms', 'ka interval p50 / p99 / max ms', 'hs run: steal % / busy % / load', 'ka run: steal % / busy % / load'],
        rows,
      ),
      notes: [
        `${seconds} s per run; "busy": ${cpus().length} busy-loop processes (one per core) for the whole window. ` +
          'False transitions: states either router entered in the window (from hotstandby’s log, keepalived’s "Entering … STATE" lines). ' +
          'Intervals: between consecutive adverts of the master on the switch capture.',
      ],
      goals,
      load: load.stop(),
      data: { seconds, runs },
      errors,
    },
  ];
}
