/**
 * The replica's receive path, bare, for issue 12's "own record layer after a TLS handshake"
 * idea: how much CPU the receiving process spends to take in one large transfer over the lab's
 * offload link, through TLS as the replica does today or through sealed records on plain TCP.
 * No replication code; each round runs every variant once, in a rotating order
 * (docs/replication.md, "Large file: an own record layer instead of TLS's? (2026-12-05)").
 *
 *   node dist/bench/record-layer.js [--mib 256] [--rounds 5] [--pin] [--hash]
 *        [--variants tls,tcp,tcp-reused,sealed,sealed-ring]
 *
 * Variants (the receiver connects, the sender listens, so every variant can use net.connect's
 * `onread`, which an accepted socket does not offer):
 * - `tls`: the replica's PSK suite (psk-tls.ts), 1 MiB writes, the receiver takes Node's `data` events.
 * - `tcp`: plain TCP, `data` events (Node allocates a new 64 KiB buffer per read).
 * - `tcp-reused`: plain TCP read into one reused 1 MiB buffer (`onread`): the floor of a Node receiver.
 * - `sealed`: plain TCP carrying records of u32 plaintext length | AES-256-GCM ciphertext | 16-byte
 *   tag, the length as additional data, nonce = IV XOR the record counter (RFC 8446 §5.3), 1 MiB
 *   each; the receiver takes `data` events and joins a record's pieces once before opening it.
 * - `sealed-ring`: the same records read straight into a ring of two records (`onread` with a
 *   buffer per read), each opened in place: no copy and no allocation per read.
 * Both sealed variants release a record's plaintext only after its tag checked (decipher.final).
 * --hash: the receiver also hashes what it received with SHA-256, as the replica does.
 * --pin: the sender on CPU 0, the receiver on CPU 1 (bench/lib/cpu-pin.ts).
 * One JSON line per run (the sender's CPU, the receiver's CPU user / system, seconds from the
 * receiver's first byte to its last), then medians of the receiver's CPU.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, type Hash } from 'node:crypto';
import type { Socket } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Lab } from '../src/lab/index.js';
import { nodeEntryCommand } from '../src/lab/node-entry.js';
import { pskClientOptions, pskServerOptions } from '../src/replicate/psk-tls.js';
import { onCpu } from './lib/cpu-pin.js';

type Variant = 'tls' | 'tcp' | 'tcp-reused' | 'sealed' | 'sealed-ring';
const VARIANTS: readonly Variant[] = ['tls', 'tcp', 'tcp-reused', 'sealed', 'sealed-ring'];

interface PeerConfig {
  role: 'send' | 'receive';
  variant: Variant;
  host: string;
  port: number;
  bytes: number;
  hash: boolean;
  /** 32-byte key and 12-byte IV for the sealed variants; the bench's own, fresh per run. */
  keyHex: string;
  ivHex: string;
}

const RECORD = 1024 * 1024;
const HEAD = 4;
const TAG = 16;

function nonce(iv: Buffer, counter: number): Buffer {
  const out = Buffer.from(iv);
  out.writeBigUInt64BE(out.readBigUInt64BE(4) ^ BigInt(counter), 4);
  return out;
}

/** One record's wire pieces: head, ciphertext, tag. */
export function seal(key: Buffer, iv: Buffer, counter: number, plaintext: Buffer): Buffer[] {
  const head = Buffer.alloc(HEAD);
  head.writeUInt32BE(plaintext.length);
  const cipher = createCipheriv('aes-256-gcm', key, nonce(iv, counter));
  cipher.setAAD(head);
  const body = cipher.update(plaintext);
  cipher.final();
  return [head, body, cipher.getAuthTag()];
}

/** `record` is one whole record (head | ciphertext | tag); its plaintext once the tag checked, else throws. */
export function open(key: Buffer, iv: Buffer, counter: number, record: Buffer): Buffer {
  const length = record.readUInt32BE(0);
  if (record.length !== HEAD + length + TAG) throw new RangeError(`Record of ${record.length} bytes, its head says ${length} + ${HEAD + TAG}`);
  // authTagLength: without it Node also takes a shorter tag (4 or 8 bytes) as valid.
  const decipher = createDecipheriv('aes-256-gcm', key, nonce(iv, counter), { authTagLength: TAG });
  decipher.setAAD(record.subarray(0, HEAD));
  decipher.setAuthTag(record.subarray(HEAD + length, HEAD + length + TAG));
  const plaintext = decipher.update(record.subarray(HEAD, HEAD + length));
  decipher.final();
  return plaintext;
}

/** The length of the whole record starting at `buffer[at]`, or undefined before its head is in; a bad length throws. */
export function recordLength(buffer: Buffer, at: number, end: number): number | undefined {
  if (end - at < HEAD) return undefined;
  const length = buffer.readUInt32BE(at);
  if (length > RECORD) throw new RangeError(`Record length ${length} is over ${RECORD}`);
  return HEAD + length + TAG;
}

function cpuOf(since: NodeJS.CpuUsage): { user_s: number; system_s: number } {
  const used = process.cpuUsage(since);
  return { user_s: used.user / 1e6, system_s: used.system / 1e6 };
}

/** One end of the transfer, as its own process in a namespace (lab/node-entry.ts). */
export async function runRecordPeer(config: PeerConfig): Promise<void> {
  const net = await import('node:net');
  const tls = await import('node:tls');
  const key = Buffer.from(config.keyHex, 'hex');
  const iv = Buffer.from(config.ivHex, 'hex');
  const psk = { identity: 'bench', key };
  if (config.role === 'send') {
    const chunk = randomBytes(RECORD);
    const cpu0 = process.cpuUsage();
    const pump = (socket: Socket) => {
      // The receiver exits once it has everything.
      socket.on('close', () => console.log(JSON.stringify({ sent: config.bytes, ...cpuOf(cpu0) })));
      socket.on('error', () => undefined);
      let sent = 0;
      let counter = 0;
      const more = () => {
        while (sent < config.bytes) {
          sent += chunk.length;
          const pieces = config.variant.startsWith('sealed') ? seal(key, iv, counter++, chunk) : [chunk];
          // One writev per record.
          socket.cork();
          let flowing = true;
          for (const piece of pieces) flowing = socket.write(piece) && flowing;
          socket.uncork();
          if (!flowing) return void socket.once('drain', more);
        }
      };
      more();
    };
    const server = config.variant === 'tls' ? tls.createServer(pskServerOptions(psk), pump) : net.createServer(pump);
    server.listen(config.port, config.host, () => console.log('"listening"'));
    return;
  }
  const cpu0 = process.cpuUsage();
  const hash: Hash | undefined = config.hash ? createHash('sha256') : undefined;
  let got = 0;
  let t0 = 0;
  const take = (plaintext: Buffer) => {
    if (got === 0) t0 = performance.now();
    got += plaintext.length;
    hash?.update(plaintext);
    if (got < config.bytes) return;
    hash?.digest();
    console.log(JSON.stringify({ received: got, seconds: (performance.now() - t0) / 1000, ...cpuOf(cpu0) }));
    process.exit(0);
  };
  const to = { host: config.host, port: config.port };
  if (config.variant === 'tls') {
    tls.connect({ ...to, ...pskClientOptions(psk) }).on('data', take);
  } else if (config.variant === 'tcp') {
    net.connect(to).on('data', take);
  } else if (config.variant === 'tcp-reused') {
    const buffer = Buffer.allocUnsafe(RECORD);
    net.connect({ ...to, onread: { buffer, callback: (n) => (take(buffer.subarray(0, n)), true) } });
  } else if (config.variant === 'sealed') {
    let pieces: Buffer[] = [];
    let have = 0;
    let counter = 0;
    net.connect(to).on('data', (data: Buffer) => {
      pieces.push(data);
      have += data.length;
      for (;;) {
        if (pieces[0]!.length < HEAD && have >= HEAD) pieces = [Buffer.concat(pieces, have)];
        const whole = recordLength(pieces[0]!, 0, have);
        if (whole === undefined || have < whole) return;
        const joined = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, have);
        take(open(key, iv, counter++, joined.subarray(0, whole)));
        const rest = joined.subarray(whole);
        pieces = rest.length > 0 ? [rest] : [];
        have = rest.length;
        if (have === 0) return;
      }
    });
  } else {
    // A record (at most RECORD + HEAD + TAG) always fits behind what is left of the previous one.
    const ring = Buffer.allocUnsafe(2 * (RECORD + HEAD + TAG));
    let start = 0;
    let end = 0;
    let counter = 0;
    const next = () => {
      if (ring.length - end < RECORD + HEAD + TAG) {
        ring.copy(ring, 0, start, end);
        end -= start;
        start = 0;
      }
      return ring.subarray(end);
    };
    const onRead = (n: number): boolean => {
      end += n;
      for (;;) {
        const whole = recordLength(ring, start, end);
        if (whole === undefined || end - start < whole) return true;
        take(open(key, iv, counter++, ring.subarray(start, start + whole)));
        start += whole;
      }
    };
    net.connect({ ...to, onread: { buffer: next, callback: onRead } });
  }
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const bytes = Number(option('mib', '256')) * 1024 * 1024;
  const rounds = Number(option('rounds', '5'));
  const hash = process.argv.includes('--hash');
  const pin = process.argv.includes('--pin');
  const variants = option('variants', VARIANTS.join(',')).split(',') as Variant[];
  for (const variant of variants) if (!VARIANTS.includes(variant)) throw new TypeError(`Unknown variant '${variant}'; known: ${VARIANTS.join(', ')}`);
  const self = import.meta.url;
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false, offloads: true });
  const cpu = new Map<Variant, number[]>();
  try {
    // The sender listens in b, the receiver connects from a.
    const host = lab.host('b').ipv4;
    let port = 7200;
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants.map((_, i) => variants[(i + round) % variants.length]!)) {
        const config = { variant, host, port: port++, bytes, hash, keyHex: randomBytes(32).toString('hex'), ivHex: randomBytes(12).toString('hex') };
        const sender = lab.spawn('b', onCpu(pin ? 0 : undefined, nodeEntryCommand(self, 'runRecordPeer', { ...config, role: 'send' })), { name: `sender-${variant}-${round}` });
        await sender.waitForLine(/listening/, 10_000);
        const receiver = lab.spawn('a', onCpu(pin ? 1 : undefined, nodeEntryCommand(self, 'runRecordPeer', { ...config, role: 'receive' })), { name: `receiver-${variant}-${round}` });
        const result = JSON.parse(await receiver.waitForLine(/"received"/, 300_000)) as { seconds: number; user_s: number; system_s: number };
        const sent = JSON.parse(await sender.waitForLine(/"sent"/, 30_000)) as { user_s: number; system_s: number };
        await receiver.stop('SIGTERM');
        await sender.stop('SIGTERM');
        const receiverCpu = result.user_s + result.system_s;
        console.log(JSON.stringify({ round, variant, hash, pin, seconds: result.seconds, sender_cpu_s: sent.user_s + sent.system_s, receiver_cpu_s: receiverCpu, user_s: result.user_s, system_s: result.system_s, load1: loadavg()[0] }));
        cpu.set(variant, [...(cpu.get(variant) ?? []), receiverCpu]);
      }
    }
  } finally {
    await lab.destroy();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = Object.fromEntries([...cpu].map(([v, s]) => [v, { receiver_cpu_median_s: median(s), min: Math.min(...s), max: Math.max(...s) }]));
  console.log(JSON.stringify({ summary, hash, pin, load: loadavg() }));
}

// Run as a script, not when a lab peer imports it for runRecordPeer.
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
