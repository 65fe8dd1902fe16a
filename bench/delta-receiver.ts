/**
 * The replica's half of a large delta transfer, in one process and without the network (the
 * profile of replicate-large --delta, cut down to what the receiver computes): a basis of
 * `--mib` random MiB on the replica, the source's version edited as replicate-large edits it
 * (100 bytes inserted at a quarter, 4 KiB overwritten in the middle), then, timed per phase with
 * this process's CPU (user / system): the sums of the basis, the patch frames applied (the
 * operations are encoded beforehand, untimed), and end() (hash check, owner/mode/times, the group
 * commit's data sync and rename). Rounds alternate this build with `--base-dist DIR` (another
 * build's dist/, its package root holding build/Release/hsnet.node).
 *
 *   node dist/bench/delta-receiver.js [--mib 256] [--rounds 3] [--base-dist DIR] [--dir PATH]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeEdited, writeRandom } from './rows/file-replication-delta.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const mib = Number(option('mib', '256'));
const rounds = Number(option('rounds', '3'));
const baseDist = option('base-dist', '');
const dirOption = option('dir', '');

interface Modules {
  applier: typeof import('../src/replicate/replica-applier.js');
  encoder: typeof import('../src/replicate/delta-encoder.js');
  ops: typeof import('../src/replicate/delta-ops.js');
  signature: typeof import('../src/replicate/delta-signature.js');
  native: typeof import('../src/net/native.js');
}

async function load(dist: string | undefined): Promise<Modules> {
  const at = (rel: string) => (dist === undefined ? `../src/${rel}` : pathToFileURL(join(resolve(dist), 'src', rel)).href);
  return {
    applier: await import(at('replicate/replica-applier.js')),
    encoder: await import(at('replicate/delta-encoder.js')),
    ops: await import(at('replicate/delta-ops.js')),
    signature: await import(at('replicate/delta-signature.js')),
    native: await import(at('net/native.js')),
  };
}

function cpu(): { user: number; system: number } {
  const u = process.cpuUsage();
  return { user: u.user / 1e6, system: u.system / 1e6 };
}

async function phase<T>(into: Record<string, number>, name: string, run: () => Promise<T>): Promise<T> {
  const c0 = cpu();
  const t0 = performance.now();
  const result = await run();
  const c1 = cpu();
  into[`${name}_s`] = (performance.now() - t0) / 1000;
  into[`${name}_cpu_s`] = c1.user - c0.user + (c1.system - c0.system);
  into[`${name}_sys_s`] = c1.system - c0.system;
  return result;
}

async function runOnce(m: Modules, dir: string, original: string, edited: string, size: number): Promise<Record<string, number>> {
  const replica = join(dir, 'replica');
  rmSync(replica, { recursive: true, force: true });
  mkdirSync(replica);
  // The basis: a copy of the original (its pages in the page cache, as after the first transfer).
  {
    const from = await open(original, 'r');
    const to = await open(join(replica, 'big.bin'), 'w');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (let at = 0; at < size; at += buffer.length) {
      const { bytesRead } = await from.read(buffer, 0, buffer.length, at);
      await to.write(buffer.subarray(0, bytesRead), 0, bytesRead, at);
    }
    await from.close();
    await to.sync();
    await to.close();
  }
  const applier = new m.applier.ReplicaApplier(Buffer.from(replica), m.native.loadNative());
  const meta = { mode: 0o644, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: 1_700_000_000_000_000_000n };
  const token = randomBytes(16).toString('hex');
  const newSize = size + 100;
  const out: Record<string, number> = {};
  const began = await applier.begin('big.bin', meta, BigInt(newSize), token, true);
  const basis = began.basis!;
  const count = Math.ceil(basis.size / basis.blockSize);
  const builder = new m.signature.SignatureBuilder(basis.size, basis.blockSize);
  await phase(out, 'sums', async () => {
    for (let from = 0; from < count; from += 65536) builder.add(await applier.sums(token, from, Math.min(65536, count - from)));
  });
  // The source's part, untimed: the operations in patch frames as source-sender.ts batches them.
  const source = await open(edited, 'r');
  const encoder = new m.encoder.DeltaEncoder(builder.build(), async (buffer, position) => (await source.read(buffer, 0, buffer.length, position)).bytesRead);
  const frames: { offset: bigint; payload: Buffer }[] = [];
  let batch: import('../src/replicate/delta-ops.js').DeltaOp[] = [];
  let at = 0n;
  let batchOutput = 0;
  let batchBytes = 0;
  const flush = () => {
    if (batch.length === 0) return;
    frames.push({ offset: at, payload: m.ops.encodeOps(batch) });
    at += BigInt(batchOutput);
    batch = [];
    batchOutput = 0;
    batchBytes = 0;
  };
  for await (const op of encoder.ops()) {
    batch.push(op);
    batchOutput += m.ops.opLength(op);
    batchBytes += m.ops.encodedLength(op);
    if (batchBytes >= 256 * 1024 || batchOutput >= 64 * 1024 * 1024) flush();
  }
  flush();
  await source.close();
  const sha256 = encoder.digest();
  await phase(out, 'patch', async () => {
    for (const frame of frames) await applier.patch(token, frame.offset, frame.payload);
  });
  await phase(out, 'end', () => applier.end(token, sha256));
  out.total_s = out.sums_s! + out.patch_s! + out.end_s!;
  out.total_cpu_s = out.sums_cpu_s! + out.patch_cpu_s! + out.end_cpu_s!;
  out.copied_mib = encoder.copiedBytes / 1024 / 1024;
  return out;
}

async function main(): Promise<void> {
  const size = mib * 1024 * 1024;
  const parent = dirOption === '' ? tmpdir() : dirOption;
  const dir = mkdtempSync(join(parent, 'delta-receiver-'));
  const variants: [string, Modules][] = [['hotstandby', await load(undefined)]];
  if (baseDist !== '') variants.push(['base', await load(baseDist)]);
  const runs: Record<string, unknown>[] = [];
  try {
    const original = join(dir, 'original.bin');
    const edited = join(dir, 'edited.bin');
    await writeRandom(original, size);
    await writeEdited(original, edited, size);
    for (let round = 0; round < rounds; round++) {
      // Rotating order: neither build always runs first after the file was written.
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const [variant, m] of order) {
        const run = { round, variant, ...(await runOnce(m, dir, original, edited, size)), load1: loadavg()[0] };
        runs.push(run);
        console.log(JSON.stringify(run));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary: Record<string, unknown> = { mib, rounds };
  for (const [variant] of variants) {
    const mine = runs.filter((r) => r.variant === variant) as unknown as Record<string, number>[];
    const keys = Object.keys(mine[0]!).filter((k) => k.endsWith('_s'));
    summary[variant] = Object.fromEntries(keys.map((k) => [k, Number(median(mine.map((r) => r[k]!)).toFixed(3))]));
  }
  summary.load = loadavg();
  console.log(JSON.stringify({ summary }));
}

await main();
