/**
 * Delta transfer between two network namespaces, each side a process of its own: kill -9 of the
 * replica mid-delta (the old version stays, the delta resumes after the restart) and memory that
 * stays flat for a file of several hundred MB. Root only (skips with the reason).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { processTree } from '../../src/lab/process-tree.js';
import { labPair } from './support/lab-pair.js';
import { leftoverTemporaries } from './support/tree-compare.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();
const MiB = 1024 * 1024;

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `mib` MiB: random, or `keep` MiB of `from` then random (never the whole file in memory). */
async function writeFile(path: string, mib: number, from?: string, keep = 0): Promise<void> {
  const out = await open(path, 'w');
  const input = from === undefined ? undefined : await open(from, 'r');
  try {
    for (let i = 0; i < mib; i++) {
      const chunk = randomBytes(MiB);
      if (input !== undefined && i < keep) await input.read(chunk, 0, MiB, i * MiB);
      await out.write(chunk);
    }
  } finally {
    await out.close();
    await input?.close();
  }
}

/** Peak resident memory (VmHWM) of a process and its children, MB. */
function peakRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

test('kill -9 of the replica mid-delta: the old version stays, no partial visible, the delta resumes and converges', { skip }, async (t) => {
  const pair = await labPair(t);
  let replica = await pair.startReplica();
  const source = await pair.startSource();
  const outside = join(pair.source, '..', 'db.new');
  await writeFile(outside, 96);
  renameSync(outside, join(pair.source, 'db.bin'));
  await pair.converged('the first copy (whole file)', 120_000);
  const original = await sha256(join(pair.replica, 'db.bin'));
  // Then a slow link (tbf on the source's interface), and a new version whose second half differs.
  await pair.lab.exec('a', ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '80mbit', 'burst', '64kb', 'latency', '200ms']);
  await writeFile(outside, 96, join(pair.source, 'db.bin'), 48);
  renameSync(outside, join(pair.source, 'db.bin'));
  const partial = () => readdirSync(pair.replica).find((n) => n.startsWith('.hotstandby-partial.'));
  await waitFor(() => (partial() !== undefined ? statSync(join(pair.replica, partial()!)).size > 56 * MiB : false), {
    description: 'a partial past the copied half',
    timeoutMs: 60_000,
    intervalMs: 20,
  });
  await replica.stop('SIGKILL');
  assert.equal(await sha256(join(pair.replica, 'db.bin')), original, 'the old version is intact under the final name');
  replica = await pair.startReplica();
  await pair.converged('after the restart', 120_000);
  const resumed = JSON.parse(await replica.waitForLine(/"kind":"resumed"/, 1000)) as { event: { offset: string } };
  assert.ok(Number(resumed.event.offset) > 56 * MiB, `resumed at ${resumed.event.offset}`);
  await source.waitForLine(/"kind":"delta"/, 1000);
  assert.equal(await sha256(join(pair.replica, 'db.bin')), await sha256(join(pair.source, 'db.bin')));
  assert.deepEqual(await leftoverTemporaries(pair.replica), []);
});

test('A 512 MiB file copied whole and then as a delta keeps both sides within a flat memory bound', { skip }, async (t) => {
  const pair = await labPair(t);
  const replica = await pair.startReplica();
  const source = await pair.startSource();
  const outside = join(pair.source, '..', 'huge.new');
  await writeFile(outside, 512);
  renameSync(outside, join(pair.source, 'huge.bin'));
  await pair.converged('the whole copy', 300_000);
  const afterCopy = `after the whole copy: source ${peakRssMb(source.pid).toFixed(0)} MB, replica ${peakRssMb(replica.pid).toFixed(0)} MB`;
  // A small change: 1 MiB in the middle rewritten in place.
  const handle = await open(join(pair.source, 'huge.bin'), 'r+');
  await handle.write(randomBytes(MiB), 0, MiB, 256 * MiB);
  await handle.close();
  await pair.converged('the delta', 300_000);
  const delta = JSON.parse(await source.waitForLine(/"kind":"delta"/, 1000)) as { event: { literalBytes: number } };
  assert.ok(delta.event.literalBytes < 2 * MiB, `literal bytes ${delta.event.literalBytes}`);
  // Node's own footprint is 50–100 MB; a side that held the file would pass 512.
  for (const [side, pid] of [['source', source.pid], ['replica', replica.pid]] as const) {
    const peak = peakRssMb(pid);
    t.diagnostic(`${side} peak RSS ${peak.toFixed(0)} MB (${afterCopy})`);
    assert.ok(peak > 0 && peak < 250, `${side} peak RSS ${peak.toFixed(0)} MB (${afterCopy})`);
  }
});
