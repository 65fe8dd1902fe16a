/**
 * Source and replica in one process over loopback TLS-PSK: the whole pipeline (watch → queue →
 * frames → atomic apply) without a lab. The lab tests repeat the important cases across two
 * network namespaces and with crashes.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync, chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import type { NativeFileBinding } from '../../src/net/native.js';
import { loopbackPair, psk } from './support/loopback-pair.js';
import { leftoverTemporaries, treeDifferences } from './support/tree-compare.js';

async function pair(
  t: { after: (fn: () => Promise<void> | void) => void },
  setup?: (source: string) => void,
  sourceKey = psk,
  sourceNative: (native: NativeFileBinding) => NativeFileBinding = (n) => n,
) {
  return loopbackPair(t, { setup, sourceKey, sourceNative });
}

test('An existing tree is copied on connect with modes, owners, ns mtimes, symlinks and empty directories', async (t) => {
  const { converged, replica } = await pair(t, (source) => {
    mkdirSync(join(source, 'a', 'b', 'empty'), { recursive: true });
    writeFileSync(join(source, 'a', 'b', 'f.txt'), 'hello');
    chmodSync(join(source, 'a', 'b', 'f.txt'), 0o640);
    chownSync(join(source, 'a', 'b', 'f.txt'), 1234, 5678);
    symlinkSync('b/f.txt', join(source, 'a', 'link'));
    symlinkSync('/nonexistent/dangling', join(source, 'dangling'));
    writeFileSync(join(source, 'big'), Buffer.alloc(3 * 1024 * 1024 + 17, 9));
    writeFileSync(join(source, 'skip.swp'), 'excluded');
  });
  await converged('the initial copy');
  assert.deepEqual(await leftoverTemporaries(replica), []);
  assert.equal(existsSync(join(replica, 'skip.swp')), false, 'an excluded file is not replicated');
});

test('Live changes reach the replica: create, modify, chmod, rename as a rename, delete, mkdir -p with files', async (t) => {
  const { source, replica, converged, replicaEvents } = await pair(t);
  await converged('empty trees');
  writeFileSync(join(source, 'one'), '1');
  await converged('a new file');
  writeFileSync(join(source, 'one'), 'one, longer');
  chmodSync(join(source, 'one'), 0o600);
  await converged('a modified file');
  const inode = statSync(join(replica, 'one')).ino;
  renameSync(join(source, 'one'), join(source, 'two'));
  await converged('a renamed file');
  assert.equal(statSync(join(replica, 'two')).ino, inode, 'renamed on the replica, not copied');
  mkdirSync(join(source, 'd', 'e', 'f'), { recursive: true });
  writeFileSync(join(source, 'd', 'e', 'f', 'g'), 'deep');
  writeFileSync(join(source, 'd', 'h'), 'h');
  await converged('mkdir -p with files');
  renameSync(join(source, 'd'), join(source, 'moved'));
  await converged('a renamed directory');
  rmSync(join(source, 'moved'), { recursive: true });
  rmSync(join(source, 'two'));
  await converged('deletions');
  assert.deepEqual(replicaEvents.filter((e) => e.kind === 'apply-failed'), []);
});

test('Names with invalid UTF-8 bytes and newlines are replicated byte for byte', async (t) => {
  const { source, converged } = await pair(t);
  const names = [Buffer.from([0xff, 0xfe]), Buffer.from('line\nbreak'), Buffer.from([0x63, 0x61, 0x66, 0xc3])];
  for (const name of names) writeFileSync(Buffer.concat([Buffer.from(`${source}/`), name]), name);
  mkdirSync(Buffer.concat([Buffer.from(`${source}/`), Buffer.from([0x80, 0x0a])]));
  await converged('byte names');
});

test('A source with the wrong key is refused and changes nothing on the replica', async (t) => {
  const { sourceEvents, replica } = await pair(t, (source) => writeFileSync(join(source, 'x'), 'x'), { identity: 'test', key: Buffer.alloc(32, 4) });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(sourceEvents.some((e) => e.kind === 'connected'), false);
  assert.ok(sourceEvents.some((e) => e.kind === 'connect-failed'), 'the failed handshake is reported');
  assert.deepEqual((await treeDifferences(replica, replica)).length, 0);
  assert.equal((await import('node:fs')).readdirSync(replica).length, 0);
});

test('Files that vanish between the event and the read, and files changed while read, still converge with nothing left over', async (t) => {
  const { source, replica, converged } = await pair(t);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 50; i++) writeFileSync(join(source, `v${i}`), `round ${round}`);
    for (let i = 0; i < 50; i += 2) rmSync(join(source, `v${i}`));
  }
  await converged('after files came and went');
  assert.deepEqual(await leftoverTemporaries(replica), []);
  assert.equal(existsSync(join(replica, 'v0')), false);
  assert.equal(existsSync(join(replica, 'v1')), true);
});

test('An unreadable file on the source is reported by name, the rest replicates, and it follows once readable', async (t) => {
  let locked = true;
  const denied = () => Object.assign(new Error("open 'secret' failed: permission denied (EACCES)"), { code: 'EACCES' });
  // Root reads any file: the fault is injected where the source reads (the addon's read).
  const { source, replica, converged, sourceEvents } = await pair(t, (dir) => {
    writeFileSync(join(dir, 'secret'), 'top secret');
    writeFileSync(join(dir, 'public'), 'hello');
  }, psk, (native) => ({
    ...native,
    readSmallFile: (path: Buffer, limit: number) => (locked && path.toString().endsWith('/secret') ? Promise.reject(denied()) : native.readSmallFile(path, limit)),
  }));
  await waitFor(() => existsSync(join(replica, 'public')), { description: 'the readable file replicated' });
  await waitFor(() => sourceEvents.some((e) => e.kind === 'send-failed' && e.code === 'EACCES' && e.path === 'secret'), { description: 'the unreadable file reported' });
  assert.equal(existsSync(join(replica, 'secret')), false);
  locked = false;
  await converged('the file follows once readable');
  void source;
});
