/**
 * Row 5: scale — one node as master of 200 instances (VRIDs 1…200, one VIP each) at 0.1 s v3
 * adverts on one interface, no peer: 2000 adverts a second. CPU share of a core from the
 * utime + stime deltas of the daemon's processes (keepalived: parent and VRRP child), RSS summed
 * over them, and the interface's transmit counter as a check that both really send that much.
 */
import { Lab, waitFor } from '../../src/lab/index.js';
import { manyInstancesConf } from '../lib/conf.js';
import { daemonOrder, startDaemon, type DaemonKind } from '../lib/daemons.js';
import { fmt, markdownTable } from '../lib/format.js';
import { addressCount, interfaceCounter } from '../lib/lab-helpers.js';
import { HostLoadWindow, describeLoad, type HostLoad } from '../lib/machine.js';
import { ProcessWindow, type ProcessUsage } from '../lib/process-sampler.js';
import { atMost, errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { sleep } from '../lib/sleep.js';
import { median, ratio } from '../stats.js';
import { windowSecondsFrom } from '../lib/options.js';

const INSTANCES = 200;
const ADVERT_INT_S = 0.1;
const RSS_GOAL_MB = 64;
const SECONDS: Record<Mode, number> = { quick: 8, default: 60, long: 120 };
const RUNS: Record<Mode, number> = { quick: 1, default: 1, long: 2 };

interface ScaleRun {
  daemon: DaemonKind;
  rep: number;
  usage: ProcessUsage;
  /** Frames sent by the node's interface per second during the window (adverts, mostly). */
  txPerSecond: number;
  /** State changes logged during the window (all 200 should stay MASTER: expect 0). */
  transitions: number;
  host: HostLoad;
}

async function runOnce(daemon: DaemonKind, rep: number, seconds: number, root: string): Promise<ScaleRun> {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  try {
    // The lab's only host is .1: .2 … .201 of its own /24 are free for the 200 VIPs.
    const prefix = `10.99.${lab.id}.`;
    const conf = manyInstancesConf({
      count: INSTANCES,
      version: 3,
      advertInt: ADVERT_INT_S,
      priority: 100,
      vipOf: (vrid) => `${prefix}${vrid + 1}/32`,
    });
    const node = await startDaemon(lab, daemon, 'a', conf, root);
    await waitFor(async () => (await addressCount(lab, 'a', prefix)) === INSTANCES + 1, {
      description: `all ${INSTANCES} VIPs on the ${daemon} node`,
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    // The second gratuitous ARP burst (vrrp_garp_master_delay 1) is over; from here on it is adverts only.
    await sleep(3000);
    const transitionsBefore = (await node.transitions()).length;
    const txBefore = await interfaceCounter(lab, 'a', 'tx_packets');
    const host = new HostLoadWindow();
    const processes = new ProcessWindow(node.pid);
    await sleep(seconds * 1000);
    const usage = processes.stop();
    const hostLoad = host.stop();
    const txAfter = await interfaceCounter(lab, 'a', 'tx_packets');
    const transitions = (await node.transitions()).length - transitionsBefore;
    await node.stop();
    return { daemon, rep, usage, txPerSecond: (txAfter - txBefore) / usage.seconds, transitions, host: hostLoad };
  } finally {
    await lab.destroy();
  }
}

export async function runScaleRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  const seconds = windowSecondsFrom('BENCH_SCALE_SECONDS', SECONDS, ctx.mode);
  const reps = ctx.reps !== undefined ? Math.min(ctx.reps, 3) : RUNS[ctx.mode];
  const runs: ScaleRun[] = [];
  const errors: string[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const daemon of daemonOrder(rep)) {
      try {
        const run = await runOnce(daemon, rep, seconds, ctx.hotstandbyRoot);
        runs.push(run);
        ctx.log(
          `  [5] ${daemon} rep ${rep + 1}: CPU ${fmt(run.usage.cpuShare * 100)} % of a core, RSS ${fmt(run.usage.rssMaxMb)} MB (${run.usage.pids.length} processes), ` +
            `${fmt(run.txPerSecond, 0)} frames/s, ${run.transitions} transitions; ${describeLoad(run.host)}`,
        );
      } catch (error) {
        errors.push(`${daemon} rep ${rep + 1}: ${errorText(error)}`);
        ctx.log(`  [5] ${daemon} rep ${rep + 1}: FAILED ${errorText(error)}`);
      }
    }
  }
  const of = (daemon: DaemonKind) => runs.filter((r) => r.daemon === daemon);
  const cpu = (daemon: DaemonKind) => median(of(daemon).map((r) => r.usage.cpuShare * 100));
  const rss = (daemon: DaemonKind) => median(of(daemon).map((r) => r.usage.rssMaxMb));
  const anon = (daemon: DaemonKind) => median(of(daemon).map((r) => r.usage.anonMaxMb));
  const tx = (daemon: DaemonKind) => median(of(daemon).map((r) => r.txPerSecond));
  const flaps = (daemon: DaemonKind) => of(daemon).reduce((n, r) => n + r.transitions, 0);
  const steal = (daemon: DaemonKind) => median(of(daemon).map((r) => r.host.stealPct));
  const user = (daemon: DaemonKind) => median(of(daemon).map((r) => r.usage.userShare * 100));
  const system = (daemon: DaemonKind) => median(of(daemon).map((r) => r.usage.systemShare * 100));
  // Per frame sent: fair even if one daemon's timers drift and it sends a little less.
  const perFrameUs = (daemon: DaemonKind) => median(of(daemon).map((r) => (r.usage.cpuShare / r.txPerSecond) * 1e6));
  const cpuRatio = ratio(cpu('hotstandby'), cpu('keepalived'));
  const goals: Goal[] = [
    atMost('5', 'CPU at 200 instances, hs/ka', cpuRatio, 1.0, `${fmt(cpuRatio, 3)}×`, '≤ 1.0× keepalived'),
    atMost('5', 'RSS at 200 instances (hs)', rss('hotstandby'), RSS_GOAL_MB, `${fmt(rss('hotstandby'))} MB`, `≤ ${RSS_GOAL_MB} MB`),
  ];
  const table = markdownTable(
    ['daemon', 'CPU % of a core', 'user / system %', 'CPU µs per frame', 'RSS max MB', 'of it anonymous MB', 'frames sent /s', 'transitions in window', 'host steal %'],
    (['hotstandby', 'keepalived'] as const).map((daemon) => [
      daemon,
      fmt(cpu(daemon)),
      `${fmt(user(daemon))} / ${fmt(system(daemon))}`,
      fmt(perFrameUs(daemon)),
      fmt(rss(daemon)),
      fmt(anon(daemon)),
      fmt(tx(daemon), 0),
      String(flaps(daemon)),
      fmt(steal(daemon)),
    ]),
  );
  return [
    {
      id: '5',
      title: `Scale: ${INSTANCES} instances at ${ADVERT_INT_S} s (v3), one node as master`,
      table: `${table}\n\nCPU ratio hs/ka: ${fmt(cpuRatio, 3)}`,
      notes: [
        `${seconds} s window per run after all VIPs were up and the GARP bursts over; ${reps} run(s) per daemon, alternating. ` +
          'CPU from /proc/PID/stat utime+stime deltas over the process tree (keepalived: parent + VRRP child); RSS = sum of VmRSS; ' +
          'anonymous = sum of RssAnon, the part that is the daemon\'s own (the rest is mapped files: for hotstandby mostly the node binary, shared by every node process).',
      ],
      goals,
      load: load.stop(),
      data: { seconds, runs },
      errors,
    },
  ];
}
