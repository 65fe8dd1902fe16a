/**
 * Replication between two network namespaces (source on host a, replica on host b), each side a
 * process of its own: full tree comparisons after live writes, kill -9 of the replica or of the
 * source mid-file (large files go as bulk transfers), a kernel queue overflow and a full disk on the replica. Root only (skips with the reason).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, renameSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { labPair } from './support/lab-pair.js';
import { leftoverTemporaries, treeDifferences } from './support/tree-compare.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();
/** A slow link (tbf on the source's interface), so a transfer takes seconds. */
async function slowLink(pair: Awaited<ReturnType<typeof labPair>>): Promise<void> {
  await pair.lab.exec('a', ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '80mbit', 'burst', '64kb', 'latency', '200ms']);
}

/**
 * A 48 MiB file written beside the tree and moved in (one complete version is transferred),
 * then a wait until the replica's partial holds more than 4 MiB of it.
 */
async function largeFileUnderWay(pair: Awaited<ReturnType<typeof labPair>>, name: string): Promise<void> {
  const outside = join(pair.source, '..', name);
  writeFileSync(outside, randomBytes(48 * 1024 * 1024));
  renameSync(outside, join(pair.source, name));
  await waitFor(
    () => readdirSync(pair.replica).some((n) => n.startsWith('.hotstandby-partial.') && statSync(join(pair.replica, n)).size > 4 * 1024 * 1024),
    { description: 'a partial file holding more than 4 MiB', timeoutMs: 30_000, intervalMs: 20 },
  );
}

function byteName(dir: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), name]);
}

test('Writes on the source appear on the replica in another namespace: bytes, modes, owners, ns mtimes, symlinks, hard links, byte names', { skip }, async (t) => {
  const pair = await labPair(t, ({ source }) => {
    mkdirSync(join(source, 'webapps', 'ROOT'), { recursive: true });
    writeFileSync(join(source, 'webapps', 'ROOT', 'index.html'), '<h1>before</h1>');
  });
  await pair.startReplica();
  await pair.startSource();
  await pair.converged('the initial copy');
  const { source } = pair;
  for (let i = 0; i < 200; i++) writeFileSync(join(source, 'webapps', 'ROOT', `upload-${i}`), randomBytes(200));
  writeFileSync(join(source, 'script.sh'), '#!/bin/sh\n');
  chmodSync(join(source, 'script.sh'), 0o4755);
  symlinkSync('webapps/ROOT/index.html', join(source, 'current'));
  mkdirSync(join(source, 'empty'));
  writeFileSync(byteName(source, Buffer.from([0x69, 0xff, 0x0a, 0xe9])), 'latin-1 and a newline in the name');
  writeFileSync(join(source, 'large.bin'), randomBytes(5 * 1024 * 1024));
  await pair.converged('live writes');
  // Hard links: one file on the replica too (the comparison checks which names are one file).
  linkSync(join(source, 'large.bin'), join(source, 'webapps', 'large-link'));
  linkSync(join(source, 'script.sh'), join(source, 'empty', 'script-link'));
  await pair.converged('hard links');
  rmSync(join(source, 'webapps', 'ROOT', 'upload-7'));
  await pair.converged('a deletion');
  assert.deepEqual(await leftoverTemporaries(pair.replica), []);
});

test('kill -9 of the replica mid-transfer of a large file: no partial file visible, resumes and converges after restart', { skip }, async (t) => {
  const pair = await labPair(t);
  await slowLink(pair);
  let replica = await pair.startReplica();
  const source = await pair.startSource();
  await pair.converged('empty trees');
  await largeFileUnderWay(pair, 'db.dump');
  await replica.stop('SIGKILL');
  assert.equal(existsSync(join(pair.replica, 'db.dump')), false, 'no file under the final name before it is complete');
  replica = await pair.startReplica();
  await pair.converged('after the restart', 90_000);
  const resumed = await replica.waitForLine(/"kind":"resumed"/, 1000);
  assert.ok(Number(JSON.parse(resumed).event.offset) > 4 * 1024 * 1024, 'the transfer resumed from what the replica had');
  assert.deepEqual(await leftoverTemporaries(pair.replica), []);
  void source;
});

test('The link cut mid-file: no partial file visible, the transfer resumes and converges once the link is back', { skip }, async (t) => {
  const pair = await labPair(t);
  await slowLink(pair);
  const replica = await pair.startReplica();
  await pair.startSource();
  await pair.converged('empty trees');
  await largeFileUnderWay(pair, 'video.bin');
  await pair.lab.cutLink('a');
  await new Promise((r) => setTimeout(r, 3000)); // the connection times out or stalls meanwhile
  assert.equal(existsSync(join(pair.replica, 'video.bin')), false, 'no file under the final name while the link is cut');
  await pair.lab.healLink('a');
  await pair.converged('after the link is back', 120_000);
  // The stalled connection may still deliver the file while the new one sends it again: the
  // second transfer's partial goes once it is installed (or replaced).
  let left: string[] = [];
  await waitFor(async () => (left = await leftoverTemporaries(pair.replica)).length === 0, { description: 'no partial left', timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${err.message}: ${left.join(', ')}`);
  });
  void replica;
});

test('A kernel queue overflow (source stopped while 20,000 files are written) is reported and still converges', { skip }, async (t) => {
  const pair = await labPair(t);
  await pair.startReplica();
  mkdirSync(join(pair.source, 'burst'));
  const source = await pair.startSource();
  await pair.converged('the burst directory is there (and watched)');
  const limit = Number(execFileSync('cat', ['/proc/sys/fs/inotify/max_queued_events']).toString());
  process.kill(source.pid, 'SIGSTOP');
  try {
    for (let i = 0; i < Math.max(20_000, limit); i++) writeFileSync(join(pair.source, 'burst', `f${i}`), `${i}`);
  } finally {
    process.kill(source.pid, 'SIGCONT');
  }
  await source.waitForLine(/inotify queue overflow/, 30_000);
  await pair.converged('after the overflow', 120_000);
});

test('A full disk on the replica gives a clear error and converges once space is freed, nothing lost on the source', { skip }, async (t) => {
  const pair = await labPair(t, ({ replica }) => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'hs-replica-test', replica]);
    return () => execFileSync('umount', ['-l', replica]);
  });
  const replica = await pair.startReplica();
  const source = await pair.startSource();
  writeFileSync(join(pair.source, 'small'), 'fits');
  await pair.converged('a small file');
  const big = randomBytes(3 * 1024 * 1024);
  writeFileSync(join(pair.source, 'too-big'), big);
  await replica.waitForLine(/"apply-failed".*"code":"ENOSPC"/, 30_000);
  await source.waitForLine(/"send-failed".*"code":"ENOSPC"/, 30_000);
  assert.equal(existsSync(join(pair.replica, 'too-big')), false, 'nothing partial under the final name');
  writeFileSync(join(pair.source, 'small'), 'still replicated while the big one waits');
  execFileSync('mount', ['-o', 'remount,size=16m', pair.replica]);
  await pair.converged('after space was freed');
  assert.equal(statSync(join(pair.source, 'too-big')).size, big.length);
  assert.deepEqual(await leftoverTemporaries(pair.replica), []);
});

test('kill -9 of the source mid-transfer of a large file (a bulk connection): the replica keeps what came, the restarted source resumes', { skip }, async (t) => {
  const pair = await labPair(t);
  await slowLink(pair);
  const replica = await pair.startReplica();
  let source = await pair.startSource();
  await pair.converged('empty trees');
  await largeFileUnderWay(pair, 'backup.tar');
  await source.stop('SIGKILL');
  // The control connection ends with it: the replica stops its receive job and keeps the records it wrote.
  await replica.waitForLine(/"kind":"disconnected"/, 30_000);
  assert.equal(existsSync(join(pair.replica, 'backup.tar')), false, 'no file under the final name before it is complete');
  source = await pair.startSource();
  await pair.converged('after the restart', 90_000);
  const resumed = await replica.waitForLine(/"kind":"resumed"/, 1000);
  assert.ok(Number(JSON.parse(resumed).event.offset) > 4 * 1024 * 1024, 'the transfer resumed from what the replica had');
  assert.deepEqual(await leftoverTemporaries(pair.replica), []);
});
