/**
 * The `file-replication` row's "large file with a small change" case (issue 12, delta transfer):
 * a file both sides already hold gets 100 bytes inserted at a quarter and 4 KiB overwritten in
 * the middle (everything after the insertion shifts: the rolling checksum has to find it). Then
 * the new version goes to the replica with hotstandby (TLS-PSK, rsync's algorithm in
 * src/replicate/delta-*.ts) and with plain rsync to its daemon, over the same link. Measured:
 * time, bytes on the link (both directions, the source's interface counters) and the largest
 * RSS of each side (hotstandby's processes; rsync's client and daemon are not sampled).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, waitFor } from '../../src/lab/index.js';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import { largeFileOffloads } from '../lib/large-file-link.js';
import { NODE_PROCESS, PORT, RSYNC_PORT, rsyncdReady, startRsyncd, Usage } from './file-replication.js';

export interface DeltaRunResult {
  mib: number;
  hotstandby_s: number;
  rsync_s: number;
  /** rsync time / hotstandby time (≥ 1: hotstandby faster). */
  ratio: number;
  hotstandby_link_bytes: number;
  rsync_link_bytes: number;
  /** What hotstandby's source reported: literal data and sums, without TLS and frames. */
  hotstandby_literal_bytes: number | null;
  source_rss_mb: number;
  replica_rss_mb: number;
}

async function linkBytes(lab: Lab): Promise<number> {
  const out = await lab.exec('a', ['ip', '-j', '-s', 'link', 'show', 'dev', 'eth0']);
  const [info] = JSON.parse(out.stdout) as { stats64: { rx: { bytes: number }; tx: { bytes: number } } }[];
  return info!.stats64.rx.bytes + info!.stats64.tx.bytes;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Writes `size` bytes of random data in 1 MiB writes, without holding them (so the bench runs for
 * files larger than memory) and with no repeated block a tool could recognise.
 */
export async function writeRandom(path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (let done = 0; done < size; done += 1024 * 1024) await file.write(randomBytes(Math.min(1024 * 1024, size - done)));
  } finally {
    await file.close();
  }
}

/** The edited version: `from` with 100 bytes inserted at a quarter and 4 KiB overwritten in the middle. */
export async function writeEdited(from: string, to: string, size: number): Promise<void> {
  const input = await open(from, 'r');
  const output = await open(to, 'w');
  try {
    const quarter = Math.floor(size / 4);
    const middle = Math.floor(size / 2);
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    let position = 0;
    while (position < size) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, position);
      const chunk = buffer.subarray(0, bytesRead);
      if (middle >= position && middle < position + bytesRead) randomBytes(4096).copy(chunk, middle - position);
      if (quarter >= position && quarter < position + bytesRead) {
        await output.write(chunk.subarray(0, quarter - position));
        await output.write(randomBytes(100));
        await output.write(chunk.subarray(quarter - position));
      } else await output.write(chunk);
      position += bytesRead;
    }
  } finally {
    await input.close();
    await output.close();
  }
}

export async function deltaRun(mib: number): Promise<DeltaRunResult> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false, offloads: largeFileOffloads() });
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-fdelta-'));
  try {
    for (const dir of ['source', 'replica', 'rsync-dest']) mkdirSync(join(base, dir));
    const host = lab.host('b').ipv4;
    const keyHex = randomBytes(32).toString('hex');
    const server = lab.spawn('b', nodeEntryCommand(NODE_PROCESS, 'runReplicaProcess', { root: join(base, 'replica'), host, port: PORT, keyHex }), { name: 'replica' });
    await server.waitForLine(/"listening"/, 15_000);
    const src = lab.spawn('a', nodeEntryCommand(NODE_PROCESS, 'runSourceProcess', { root: join(base, 'source'), host, port: PORT, keyHex }), { name: 'source' });
    await src.waitForLine(/"rescan-done"/, 15_000);
    const sourceUsage = new Usage([src.pid]);
    const replicaUsage = new Usage([server.pid]);
    // Both sides hold the original: hotstandby's replica and rsync's destination.
    const original = join(base, 'big.bin');
    await writeRandom(original, mib * 1024 * 1024);
    const size = statSync(original).size;
    const target = join(base, 'replica', 'big.bin');
    renameSync(original, join(base, 'source', 'big.bin'));
    await waitFor(() => existsSync(target) && statSync(target).size === size, { description: 'the original on the replica', timeoutMs: 600_000, intervalMs: 20 });
    startRsyncd(lab, base, host, join(base, 'rsync-dest'));
    await rsyncdReady(lab, host);
    const rsyncCommand = ['rsync', '-a', join(base, 'source', 'big.bin'), `rsync://${host}:${RSYNC_PORT}/dest/`];
    await lab.exec('a', rsyncCommand, { timeoutMs: 600_000 });
    // The new version, moved in at once (one complete version to send).
    const edited = join(base, 'big.bin.new');
    await writeEdited(join(base, 'source', 'big.bin'), edited, size);
    const editedSize = statSync(edited).size;
    const before = await linkBytes(lab);
    const t0 = performance.now();
    renameSync(edited, join(base, 'source', 'big.bin'));
    const deltaLine = src.waitForLine(/"kind":"delta"/, 600_000).catch(() => undefined);
    await waitFor(() => existsSync(target) && statSync(target).size === editedSize, { description: 'the edited file on the replica', timeoutMs: 600_000, intervalMs: 10 });
    const ours = (performance.now() - t0) / 1000;
    const ourBytes = (await linkBytes(lab)) - before;
    const source = sourceUsage.stop();
    const replica = replicaUsage.stop();
    const line = await Promise.race([deltaLine, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000))]);
    const report = line === undefined ? undefined : (JSON.parse(line) as { event: { literalBytes: number; sumsBytes: number } }).event;
    if ((await sha256(target)) !== (await sha256(join(base, 'source', 'big.bin')))) throw new Error('hotstandby: the replica differs from the source after the delta');
    const rsyncBefore = await linkBytes(lab);
    const t1 = performance.now();
    await lab.exec('a', rsyncCommand, { timeoutMs: 600_000 });
    const theirs = (performance.now() - t1) / 1000;
    const rsyncBytes = (await linkBytes(lab)) - rsyncBefore;
    return {
      mib,
      hotstandby_s: ours,
      rsync_s: theirs,
      ratio: theirs / ours,
      hotstandby_link_bytes: ourBytes,
      rsync_link_bytes: rsyncBytes,
      hotstandby_literal_bytes: report === undefined ? null : report.literalBytes,
      source_rss_mb: source.rss_mb,
      replica_rss_mb: replica.rss_mb,
    };
  } finally {
    await lab.destroy();
    rmSync(base, { recursive: true, force: true });
  }
}
