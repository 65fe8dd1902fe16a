/**
 * A bare byte pipe between the lab's two namespaces, no replication code: how fast the kernel's
 * TCP path over the veth and bridge carries one large transfer for a given way of writing.
 * Each round runs every variant once, in a rotating order (docs/replication.md, "Large file: the
 * receive low-water mark, and what rsync does differently").
 *
 *   node dist/bench/tcp-pipe.js [--mib 256] [--rounds 3] [--variants tcp:1048576,tcp:32768:nagle,tls:32768]
 *
 * A variant is `tcp` or `tls` (the replica's TLS-PSK suite), the sender's write size in bytes,
 * and optionally `nagle` (no TCP_NODELAY on either side; rsync's way) and `pinSR` (taskset: the
 * sender on CPU S, the receiver on CPU R, e.g. `pin00` both on CPU 0; a diagnosis tool, the
 * product does not pin itself). One JSON line per run: seconds from the first byte received to
 * the last, the receiver's CPU, the sender's CPU up to its last write, the machine's softirq
 * seconds, and where the packet work ran: softirq seconds by CPU, ksoftirqd/N's CPU seconds, and
 * samples (every 10 ms) of the CPU each side's main thread was on and the share of samples with
 * both on the same CPU; then medians.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Lab } from '../src/lab/index.js';
import { nodeEntryCommand } from '../src/lab/node-entry.js';
import { clockTicksPerSecond } from './lib/process-sampler.js';
import { ksoftirqdSeconds, minus, sampleProcessor, sampleSharing, softirqByCpu } from './lib/cpu-placement.js';

interface PeerConfig {
  role: 'send' | 'receive';
  host: string;
  port: number;
  tls: boolean;
  bytes: number;
  writeSize: number;
  nagle: boolean;
}

const KEY = Buffer.alloc(32, 7);
const TLS = { ciphers: 'ECDHE-PSK-CHACHA20-POLY1305', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** One side of the pipe, as its own process in a namespace (lab/node-entry.ts). */
export async function runPipePeer(config: PeerConfig): Promise<void> {
  const net = await import('node:net');
  const tls = await import('node:tls');
  const cpu0 = process.cpuUsage();
  if (config.role === 'receive') {
    let got = 0;
    let t0 = 0;
    const onSocket = (socket: import('node:net').Socket) => {
      socket.setNoDelay(!config.nagle);
      socket.on('data', (chunk: Buffer) => {
        if (got === 0) t0 = performance.now();
        got += chunk.length;
        if (got < config.bytes) return;
        console.log(JSON.stringify({ received: got, seconds: (performance.now() - t0) / 1000, cpu_s: cpuSeconds(cpu0) }));
        process.exit(0);
      });
    };
    const server = config.tls ? tls.createServer({ ...TLS, pskCallback: () => KEY }, onSocket) : net.createServer(onSocket);
    server.listen(config.port, config.host, () => console.log('"listening"'));
    return;
  }
  const buffer = Buffer.alloc(config.writeSize, 1);
  const pump = (socket: import('node:net').Socket) => {
    socket.setNoDelay(!config.nagle);
    let sent = 0;
    const more = () => {
      while (sent < config.bytes) {
        sent += buffer.length;
        if (!socket.write(buffer)) {
          socket.once('drain', more);
          return;
        }
      }
      console.log(JSON.stringify({ sent, cpu_s: cpuSeconds(cpu0) }));
    };
    more();
  };
  if (config.tls) {
    const socket = tls.connect({ host: config.host, port: config.port, ...TLS, pskCallback: () => ({ psk: KEY, identity: 'pipe' }), checkServerIdentity: () => undefined }, () => pump(socket));
  } else {
    const socket = net.connect(config.port, config.host, () => pump(socket));
  }
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

function softirqSeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  return Number(fields[7]) / clockTicksPerSecond();
}

async function main(): Promise<void> {
  const bytes = Number(option('mib', '256')) * 1024 * 1024;
  const rounds = Number(option('rounds', '3'));
  const variants = option('variants', 'tcp:1048576,tcp:32768:nagle,tls:1048576,tls:32768:nagle').split(',');
  const self = fileURLToPath(import.meta.url);
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  const results = new Map<string, number[]>();
  try {
    const host = lab.host('b').ipv4;
    let port = 7100;
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants.map((_, i) => variants[(i + round) % variants.length]!)) {
        const [kind, size, ...flags] = variant.split(':');
        const config = { host, port: port++, tls: kind === 'tls', bytes, writeSize: Number(size), nagle: flags.includes('nagle') };
        const pin = flags.map((flag) => /^pin(\d)(\d)$/.exec(flag)).find((match) => match !== null);
        const pinned = (cpu: string | undefined, command: string[]) => (cpu === undefined ? command : ['taskset', '-c', cpu, ...command]);
        const receiver = lab.spawn('b', pinned(pin?.[2], nodeEntryCommand(pathToFileURL(self).href, 'runPipePeer', { ...config, role: 'receive' })), { name: `receiver-${round}` });
        await receiver.waitForLine(/listening/, 10_000);
        const softirq0 = softirqSeconds();
        const byCpu0 = softirqByCpu();
        const ksoftirqd0 = ksoftirqdSeconds();
        const sender = lab.spawn('a', pinned(pin?.[1], nodeEntryCommand(pathToFileURL(self).href, 'runPipePeer', { ...config, role: 'send' })), { name: `sender-${round}` });
        const senderPlace = sampleProcessor(sender.pid, 10);
        const receiverPlace = sampleProcessor(receiver.pid, 10);
        const sharing = sampleSharing(sender.pid, receiver.pid, 10);
        const received = JSON.parse(await receiver.waitForLine(/"received"/, 300_000)) as { seconds: number; cpu_s: number };
        const softirq = softirqSeconds() - softirq0;
        const softirqCpu = minus(softirqByCpu(), byCpu0);
        const ksoftirqd1 = ksoftirqdSeconds();
        const ksoftirqd = Object.keys(ksoftirqd1).map((cpu) => Math.round((ksoftirqd1[cpu]! - (ksoftirqd0[cpu] ?? 0)) * 100) / 100);
        const sent = JSON.parse(await sender.waitForLine(/"sent"/, 10_000)) as { cpu_s: number };
        const senderOn = senderPlace.stop();
        const receiverOn = receiverPlace.stop();
        const together = sharing.stop();
        await sender.stop('SIGTERM');
        await receiver.stop('SIGTERM');
        console.log(JSON.stringify({ round, variant, seconds: received.seconds, sender_cpu_s: sent.cpu_s, receiver_cpu_s: received.cpu_s, softirq_s: softirq, softirq_by_cpu_s: softirqCpu, ksoftirqd_s: ksoftirqd, sender_on_cpu: senderOn, receiver_on_cpu: receiverOn, same_cpu_share: Math.round((together.same / Math.max(1, together.same + together.apart)) * 100) / 100, load1: loadavg()[0] }));
        results.set(variant, [...(results.get(variant) ?? []), received.seconds]);
      }
    }
  } finally {
    await lab.destroy();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(JSON.stringify({ summary: Object.fromEntries([...results].map(([v, s]) => [v, { median: median(s), min: Math.min(...s), max: Math.max(...s) }])), load: loadavg() }));
}

// Run as a script, not when a lab peer imports it for runPipePeer.
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
