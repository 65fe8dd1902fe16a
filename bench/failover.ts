/**
 * Failover gaps, hotstandby against keepalived 2.2.7, side by side in the lab (root).
 *
 * For each advert interval and each event (the master's link cut; SIGTERM on the master), a pair
 * a (priority 150) / b (100) runs from the same keepalived.conf, a client pings the VIP every
 * 10 ms, and we record the longest run of lost replies. A capture on the switch gives the
 * takeover overhead: from b's master-down deadline (a's last advert + Master_Down_Interval, or
 * a's priority-0 advert + Skew_Time) to b's first gratuitous ARP. Daemons alternate run by run,
 * because these machines are shared and noisy; figures are medians over the repetitions.
 *
 *   BENCH_REPS=5 node dist/bench/failover.js [--json FILE]
 */
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Lab, keepalivedUnavailableReason, waitFor } from '../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf } from '../test/integration/support.js';
import { readCapture } from '../src/pcap/read-capture.js';
import { ipPacketOf } from '../src/pcap/captured-packet.js';
import { decodeAdvert } from '../src/vrrp/codec.js';
import { masterDownIntervalMs, skewTimeMs } from '../src/vrrp/timers.js';
import { Prng } from '../src/sim/prng.js';
import { percentile, summarize, type Summary } from './stats.js';

type Daemon = 'hotstandby' | 'keepalived';
type Event = 'link-cut' | 'sigterm';

interface Scenario {
  name: string;
  version: 2 | 3;
  advertInt: number;
}

interface Run {
  scenario: string;
  event: Event;
  daemon: Daemon;
  gapMs: number;
  /** First GARP after the master-down deadline (negative: before it), or null if not seen. */
  overheadMs: number | null;
}

const SCENARIOS: Scenario[] = [
  { name: 'v2 advert_int 1', version: 2, advertInt: 1 },
  { name: 'v3 advert_int 0.1', version: 3, advertInt: 0.1 },
];
const EVENTS: Event[] = ['link-cut', 'sigterm'];
const BACKUP_PRIORITY = 100;

async function runOnce(scenario: Scenario, event: Event, daemon: Daemon, phase: number): Promise<Run> {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  try {
    const vip = lab.vip4(0);
    const spec = { version: scenario.version, advertInt: scenario.advertInt, vips: [`${vip}/24`] };
    const start = async (host: string, priority: number) => {
      const conf = keepalivedConf({ ...spec, priority });
      if (daemon === 'keepalived') {
        const ka = await lab.startKeepalived(host, conf);
        return { stop: () => ka.stop() };
      }
      const hs = new HotstandbyNode(lab, host, conf);
      return { stop: () => hs.stop() };
    };
    const a = await start('a', 150);
    await start('b', BACKUP_PRIORITY);
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a', timeoutMs: 20_000 });
    const capture = await (await lab.capture('switch', 'proto 112 or arp', { iface: 'br0' })).ready();
    // Let b hear a few adverts (also into the capture) so its timers run from a steady state.
    await sleep(Math.max(500, 2.5 * scenario.advertInt * 1000));
    const prober = await lab.startProber('client', vip, { intervalMs: 10 });
    // The event falls at a random point of the advert cycle, as a real failure does.
    await sleep(300 + phase * scenario.advertInt * 1000);
    if (event === 'link-cut') await lab.cutLink('a');
    else await a.stop();
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b', timeoutMs: 20_000, intervalMs: 20 });
    await sleep(500);
    const report = await prober.stop();
    const pcap = await capture.stop();
    const overheadMs = await takeoverOverhead(pcap, scenario, event, lab.host('a').ipv4, lab.host('b').mac);
    return { scenario: scenario.name, event, daemon, gapMs: report.maxGapMs, overheadMs };
  } finally {
    await lab.destroy();
  }
}

/** b's first gratuitous ARP minus the moment its master-down timer was due, from the capture. */
async function takeoverOverhead(pcap: string, scenario: Scenario, event: Event, masterIp: string, backupMac: string): Promise<number | null> {
  const intervalMs = scenario.advertInt * 1000;
  let deadline: number | undefined;
  let firstGarp: number | undefined;
  const mac = Buffer.from(backupMac.split(':').map((h) => Number.parseInt(h, 16)));
  for (const record of readCapture(await readFile(pcap))) {
    const ms = record.time * 1000;
    const ip = ipPacketOf(record);
    if (ip.ok && ip.packet.protocol === 112 && ip.packet.source === masterIp && firstGarp === undefined) {
      const [advert] = decodeAdvert(ip.packet.payload, 0, 4);
      deadline =
        advert.priority === 0 && event === 'sigterm'
          ? ms + skewTimeMs(scenario.version, BACKUP_PRIORITY, intervalMs)
          : ms + masterDownIntervalMs(scenario.version, BACKUP_PRIORITY, intervalMs);
      continue;
    }
    const isArp = record.data.length >= 42 && record.data.readUInt16BE(12) === 0x0806;
    if (isArp && deadline !== undefined && firstGarp === undefined && record.data.subarray(6, 12).equals(mac)) firstGarp = ms;
  }
  return deadline !== undefined && firstGarp !== undefined ? firstGarp - deadline : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function theoryMs(scenario: Scenario, event: Event): number {
  const interval = scenario.advertInt * 1000;
  return event === 'sigterm'
    ? skewTimeMs(scenario.version, BACKUP_PRIORITY, interval)
    : masterDownIntervalMs(scenario.version, BACKUP_PRIORITY, interval);
}

function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

async function main(): Promise<void> {
  const reason = keepalivedUnavailableReason();
  if (reason) {
    console.error(`bench/failover: ${reason}`);
    process.exitCode = 77;
    return;
  }
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const jsonIndex = process.argv.indexOf('--json');
  const jsonPath = jsonIndex > 0 ? process.argv[jsonIndex + 1] : undefined;
  const runs: Run[] = [];
  const prng = new Prng(Number(process.env.BENCH_SEED ?? 1));
  for (const scenario of SCENARIOS) {
    for (const event of EVENTS) {
      for (let rep = 0; rep < reps; rep++) {
        // Alternate which daemon goes first, so drift in machine load hits both alike.
        const order: Daemon[] = rep % 2 === 0 ? ['hotstandby', 'keepalived'] : ['keepalived', 'hotstandby'];
        // Both daemons get the same phase in a repetition, so the comparison is like for like.
        const phase = prng.next();
        for (const daemon of order) {
          const run = await runOnce(scenario, event, daemon, phase);
          runs.push(run);
          console.error(`  ${scenario.name} ${event} ${daemon}: gap ${fmt(run.gapMs)} ms, overhead ${fmt(run.overheadMs, 2)} ms`);
        }
      }
    }
  }
  const rows: Array<Record<string, string | number | null>> = [];
  const lines = [
    '| scenario | event | theory ms | hotstandby gap p50 / p90 | keepalived gap p50 / p90 | ratio | hs overhead p50 / max | ka overhead p50 / max |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const scenario of SCENARIOS) {
    for (const event of EVENTS) {
      const pick = (daemon: Daemon) => runs.filter((r) => r.scenario === scenario.name && r.event === event && r.daemon === daemon);
      const gaps = (daemon: Daemon): Summary => summarize(pick(daemon).map((r) => r.gapMs));
      const overheads = (daemon: Daemon) => pick(daemon).flatMap((r) => (r.overheadMs === null ? [] : [r.overheadMs]));
      const hs = gaps('hotstandby');
      const ka = gaps('keepalived');
      const ratio = ka.p50 > 0 ? hs.p50 / ka.p50 : null;
      const hsOver = overheads('hotstandby');
      const kaOver = overheads('keepalived');
      rows.push({ scenario: scenario.name, event, theoryMs: theoryMs(scenario, event), hsP50: hs.p50, hsP90: hs.p90, kaP50: ka.p50, kaP90: ka.p90, ratio, hsOverheadP50: percentile(hsOver, 50), hsOverheadMax: hsOver.length ? Math.max(...hsOver) : null, kaOverheadP50: percentile(kaOver, 50), kaOverheadMax: kaOver.length ? Math.max(...kaOver) : null });
      lines.push(
        `| ${scenario.name} | ${event} | ${fmt(theoryMs(scenario, event))} | ${fmt(hs.p50)} / ${fmt(hs.p90)} | ${fmt(ka.p50)} / ${fmt(ka.p90)} | ${fmt(ratio, 2)} | ${fmt(percentile(hsOver, 50), 2)} / ${fmt(hsOver.length ? Math.max(...hsOver) : null, 2)} | ${fmt(percentile(kaOver, 50), 2)} / ${fmt(kaOver.length ? Math.max(...kaOver) : null, 2)} |`,
      );
    }
  }
  console.log(lines.join('\n'));
  if (jsonPath) {
    await mkdir(dirname(jsonPath), { recursive: true });
    await writeFile(jsonPath, `${JSON.stringify({ reps, rows, runs }, null, 2)}\n`);
  }
}

await main();
