/**
 * Row 4: takeover overhead — how late the backup announces the VIP after its master-down timer
 * was due. One lab per block: a (150) master, b (100) backup, a switch capture running throughout,
 * and a's link cut and healed over and over (a preempts back each time). Per takeover:
 * b's first gratuitous ARP − (a's last advert before the cut + b's Master_Down_Interval).
 */
import { Lab } from '../../src/lab/index.js';
import { Prng } from '../../src/sim/prng.js';
import { masterDownIntervalMs } from '../../src/vrrp/timers.js';
import { readCaptureContents } from '../lib/capture-analysis.js';
import { keepalivedConf } from '../lib/conf.js';
import { daemonOrder, startDaemon, type DaemonKind } from '../lib/daemons.js';
import { fmt, markdownTable, pair } from '../lib/format.js';
import { waitForHolders } from '../lib/lab-helpers.js';
import { HostLoadWindow } from '../lib/machine.js';
import { atMost, errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { sleep } from '../lib/sleep.js';
import { summarize } from '../stats.js';
import { takeoverOverheadMs } from '../lib/takeover.js';

const INTERVALS_S = [0.1, 0.01] as const;
const BACKUP_PRIORITY = 100;
/** keepalivedConf sets vrrp_garp_master_delay 1: b's second burst must be over before the next cut. */
const GARP_REPEAT_MS = 1000;
const GOAL_P99_MS = 2;

/** Blocks per daemon and takeovers per block, by mode. */
const PLAN: Record<Mode, { blocks: number; takeovers: number }> = {
  quick: { blocks: 1, takeovers: 6 },
  default: { blocks: 2, takeovers: 12 },
  long: { blocks: 4, takeovers: 15 },
};

interface Block {
  intervalS: number;
  daemon: DaemonKind;
  block: number;
  samplesMs: number[];
  /** Takeovers where the capture showed no announcement or no advert to reckon from. */
  missing: number;
}

async function runBlock(intervalS: number, daemon: DaemonKind, block: number, takeovers: number, prng: Prng, ctx: BenchContext): Promise<Block> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  try {
    const vip = lab.vip4(0);
    const spec = { version: 3 as const, advertInt: intervalS, vips: [`${vip}/24`] };
    const intervalMs = intervalS * 1000;
    const masterDown = masterDownIntervalMs(3, BACKUP_PRIORITY, intervalMs);
    await startDaemon(lab, daemon, 'a', keepalivedConf({ ...spec, priority: 150 }), ctx.hotstandbyRoot);
    await startDaemon(lab, daemon, 'b', keepalivedConf({ ...spec, priority: BACKUP_PRIORITY }), ctx.hotstandbyRoot);
    await waitForHolders(lab, vip, 'a');
    const capture = await lab.capture('switch', 'proto 112 or arp', { iface: 'br0' });
    await sleep(Math.max(500, 5 * intervalMs));
    const windows: Array<{ cutAt: number; healAt: number }> = [];
    for (let i = 0; i < takeovers; i++) {
      // A random point of the advert cycle (the cut's own latency blurs it at 10 ms intervals).
      await sleep(prng.next() * intervalMs);
      const cutAt = Date.now();
      await lab.cutLink('a');
      await sleep(masterDown + 50);
      await waitForHolders(lab, vip, 'b', { intervalMs: 50, timeoutMs: 20_000 });
      const healAt = Date.now();
      await lab.healLink('a');
      windows.push({ cutAt, healAt });
      await waitForHolders(lab, vip, 'a', { intervalMs: 50, timeoutMs: 20_000 });
      await sleep(Math.max(healAt + GARP_REPEAT_MS + 200 - Date.now(), 4 * intervalMs));
    }
    const contents = await readCaptureContents(await capture.stop());
    const samplesMs: number[] = [];
    let missing = 0;
    for (const { cutAt, healAt } of windows) {
      const overhead = takeoverOverheadMs(contents, {
        masterIp: lab.host('a').ipv4,
        backupMac: lab.host('b').mac,
        vip,
        version: 3,
        intervalMs,
        backupPriority: BACKUP_PRIORITY,
        after: cutAt,
        before: healAt,
      });
      if (overhead === null) missing++;
      else samplesMs.push(overhead);
    }
    const s = summarize(samplesMs);
    ctx.log(`  [4] ${intervalS} s ${daemon} block ${block + 1}: ${samplesMs.length} takeovers, overhead p50 ${fmt(s.p50, 2)} / p99 ${fmt(s.p99, 2)} / max ${fmt(s.max, 2)} ms${missing ? `, ${missing} unmeasured` : ''}`);
    return { intervalS, daemon, block, samplesMs, missing };
  } finally {
    await lab.destroy();
  }
}

export async function runTakeoverOverheadRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  const plan = PLAN[ctx.mode];
  const takeovers = ctx.reps !== undefined ? Math.max(3, ctx.reps * 3) : plan.takeovers;
  const prng = new Prng(ctx.seed * 1000 + 4);
  const blocks: Block[] = [];
  const errors: string[] = [];
  for (const intervalS of INTERVALS_S) {
    for (let block = 0; block < plan.blocks; block++) {
      for (const daemon of daemonOrder(block)) {
        try {
          blocks.push(await runBlock(intervalS, daemon, block, takeovers, prng, ctx));
        } catch (error) {
          errors.push(`${intervalS} s ${daemon} block ${block + 1}: ${errorText(error)}`);
          ctx.log(`  [4] ${intervalS} s ${daemon} block ${block + 1}: FAILED ${errorText(error)}`);
        }
      }
    }
  }
  const rows: string[][] = [];
  const goals: Goal[] = [];
  const summaries = [];
  for (const intervalS of INTERVALS_S) {
    const of = (daemon: DaemonKind) => blocks.filter((b) => b.intervalS === intervalS && b.daemon === daemon);
    const hs = summarize(of('hotstandby').flatMap((b) => b.samplesMs));
    const ka = summarize(of('keepalived').flatMap((b) => b.samplesMs));
    const missing = (daemon: DaemonKind) => of(daemon).reduce((n, b) => n + b.missing, 0);
    summaries.push({ intervalS, hs, ka, hsMissing: missing('hotstandby'), kaMissing: missing('keepalived') });
    rows.push([
      `v3 advert_int ${intervalS}`,
      fmt(masterDownIntervalMs(3, BACKUP_PRIORITY, intervalS * 1000), 2),
      pair(hs.p50, hs.p99, 2),
      fmt(hs.max, 2),
      pair(ka.p50, ka.p99, 2),
      fmt(ka.max, 2),
      `${hs.n} / ${ka.n}`,
    ]);
    goals.push(atMost('4', `takeover overhead p99 (hs), advert_int ${intervalS}`, hs.p99, GOAL_P99_MS, `${fmt(hs.p99, 2)} ms`, `≤ ${GOAL_P99_MS} ms`));
  }
  return [
    {
      id: '4',
      title: 'Takeover overhead (master-down deadline → first gratuitous ARP)',
      table: markdownTable(['interval', 'master-down ms', 'hs p50 / p99 ms', 'hs max ms', 'ka p50 / p99 ms', 'ka max ms', 'n hs / ka'], rows),
      notes: [
        `Repeated carrier cuts of the master in one lab per block (${plan.blocks} block(s) per daemon, ${takeovers} takeovers each, daemons alternating block by block). ` +
          'Deadline = a’s last advert on the switch + b’s Master_Down_Interval (RFC 5798 §6.1); negative = before the deadline.',
      ],
      goals,
      load: load.stop(),
      data: { summaries, blocks },
      errors,
    },
  ];
}
