import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import { loadNative } from '../../src/net/native.js';
import { TreeWatcher, type TreeChange } from '../../src/replicate/tree-watcher.js';

function watched(t: { after: (fn: () => void) => void }, exclude?: (p: string) => boolean) {
  const root = mkdtempSync(join(tmpdir(), 'hs-watch-'));
  const changes: TreeChange[] = [];
  const watcher = new TreeWatcher(loadNative(), Buffer.from(root), { exclude, onChanges: (batch) => changes.push(...batch) });
  t.after(() => {
    watcher.close();
    rmSync(root, { recursive: true, force: true });
  });
  const saw = (description: string, pred: (c: TreeChange) => boolean) =>
    waitFor(() => changes.some(pred), { description, timeoutMs: 10_000, intervalMs: 10 });
  return { root, changes, watcher, saw };
}

test('TreeWatcher reports create, modify, delete and a rename as a rename', async (t) => {
  const { root, watcher, saw } = watched(t);
  await watcher.start();
  writeFileSync(join(root, 'a'), 'one');
  await saw('create of a', (c) => c.kind === 'changed' && c.path === 'a');
  writeFileSync(join(root, 'a'), 'two');
  renameSync(join(root, 'a'), join(root, 'b'));
  await saw('rename a → b', (c) => c.kind === 'renamed' && c.from === 'a' && c.to === 'b' && !c.isDir);
  rmSync(join(root, 'b'));
  await saw('delete of b', (c) => c.kind === 'changed' && c.path === 'b');
});

test('TreeWatcher reports files created in a new directory before its watch existed, and watches it', async (t) => {
  const { root, watcher, saw, changes } = watched(t);
  await watcher.start();
  // mkdir -p with files at once: the watch on d/e is added after these exist.
  mkdirSync(join(root, 'd', 'e'), { recursive: true });
  writeFileSync(join(root, 'd', 'e', 'f'), 'x');
  writeFileSync(join(root, 'd', 'g'), 'y');
  await saw('d/e/f', (c) => c.kind === 'changed' && c.path === 'd/e/f');
  await saw('d/g', (c) => c.kind === 'changed' && c.path === 'd/g');
  changes.length = 0;
  writeFileSync(join(root, 'd', 'e', 'later'), 'z');
  await saw('a file written later in the new directory', (c) => c.kind === 'changed' && c.path === 'd/e/later');
  assert.equal(watcher.watchCount, 3);
});

test('TreeWatcher follows a renamed directory and reports names as bytes, invalid UTF-8 included', async (t) => {
  const { root, watcher, saw } = watched(t);
  mkdirSync(join(root, 'old'));
  await watcher.start();
  renameSync(join(root, 'old'), join(root, 'new'));
  await saw('directory rename', (c) => c.kind === 'renamed' && c.from === 'old' && c.to === 'new' && c.isDir);
  const name = Buffer.from([0x66, 0xff, 0x0a, 0xc3]); // 'f', invalid byte, newline, truncated UTF-8
  writeFileSync(Buffer.concat([Buffer.from(`${root}/new/`), name]), 'x');
  await saw('the byte name under the renamed directory', (c) => c.kind === 'changed' && c.path === `new/${name.toString('latin1')}`);
});

test('TreeWatcher leaves out excluded paths', async (t) => {
  const { root, watcher, saw, changes } = watched(t, (p) => p === 'cache' || p.endsWith('.tmp'));
  mkdirSync(join(root, 'cache'));
  await watcher.start();
  writeFileSync(join(root, 'cache', 'x'), '1');
  writeFileSync(join(root, 'y.tmp'), '1');
  writeFileSync(join(root, 'z'), '1');
  await saw('z', (c) => c.kind === 'changed' && c.path === 'z');
  assert.deepEqual(changes.filter((c) => c.kind === 'changed' && c.path !== 'z'), []);
  assert.equal(watcher.watchCount, 1);
});

test('TreeWatcher reports a kernel queue overflow as a rescan of the root', async (t) => {
  const { root, watcher, saw } = watched(t);
  await watcher.start();
  // The loop is blocked while these are written, so the kernel queue (fs.inotify.max_queued_events
  // events, 16384 by default) fills: each file is at least IN_CREATE + IN_CLOSE_WRITE.
  const limit = Number((await import('node:fs')).readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
  for (let i = 0; i < limit; i++) writeFileSync(join(root, `f${i}`), '');
  await saw('an overflow rescan', (c) => c.kind === 'rescan' && c.path === '' && /overflow/.test(c.reason));
});

test('TreeWatcher: link(2) is reported as a new name still being written; the existing name gets no event, a setxattr is a change', async (t) => {
  const { root, watcher, saw, changes } = watched(t);
  mkdirSync(join(root, 'd'));
  writeFileSync(join(root, 'd', 'a'), 'one');
  await watcher.start();
  const { linkSync } = await import('node:fs');
  linkSync(join(root, 'd', 'a'), join(root, 'b'));
  // IN_CREATE without IN_CLOSE_WRITE looks like a file being written: the source checks the
  // link count and sends a new name of a linked file at once (source-replicator.ts).
  await saw('the new name', (c) => c.kind === 'changed' && c.path === 'b' && c.settle === true);
  writeFileSync(join(root, 'marker'), 'm');
  await saw('a later event', (c) => c.kind === 'changed' && c.path === 'marker');
  assert.equal(changes.some((c) => c.kind === 'changed' && c.path === 'd/a'), false, 'inotify(7) says nothing of the existing name');
  loadNative().setXattr(Buffer.from(join(root, 'd', 'a')), 'user.x', Buffer.from('1'));
  await saw('IN_ATTRIB for an attribute change', (c) => c.kind === 'changed' && c.path === 'd/a' && c.settle === undefined);
});
