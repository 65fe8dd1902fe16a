import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BatchCommitter, type SyncDataBatch } from '../../src/replicate/batch-commit.js';
import { DirSyncs } from '../../src/replicate/dir-sync.js';
import { loadNative } from '../../src/net/native.js';

async function stage(dir: string, name: string, text: string) {
  const temp = join(dir, `.tmp-${name}`);
  const file = await open(temp, 'w');
  await file.writeFile(text);
  return { file: { handle: file }, temp: Buffer.from(temp), dir: Buffer.from(dir), install: () => rename(temp, join(dir, name)) };
}

test('BatchCommitter: changes waiting together share one data sync; each becomes visible only after it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const calls: number[] = [];
  const real = loadNative().syncDataBatch;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const sync: SyncDataBatch = async (fds) => {
    calls.push(fds.length);
    if (calls.length === 1) await gate; // a slow commit: the next changes gather meanwhile
    // Nothing of the batch may be visible before its data is durable.
    for (let i = 0; i < 50; i++) assert.equal(existsSync(join(dir, `f${i}`)), false);
    return real(fds);
  };
  const committer = new BatchCommitter(new DirSyncs(), sync);
  const first = committer.commit(await stage(dir, 'first', 'x'));
  const rest = await Promise.all(Array.from({ length: 50 }, (_, i) => stage(dir, `f${i}`, `content ${i}`)));
  const committed = rest.map((item) => committer.commit(item));
  open();
  await Promise.all([first, ...committed]);
  assert.deepEqual(calls, [1, 50], 'the 50 changes that waited during the first commit went in one batch');
  for (let i = 0; i < 50; i++) assert.equal(readFileSync(join(dir, `f${i}`), 'utf8'), `content ${i}`);
});

test('BatchCommitter: a failed data sync fails that change alone, removes its temporary and renames nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let call = 0;
  const committer = new BatchCommitter(new DirSyncs(), async (fds) => {
    if (call++ === 0) await gate;
    return fds.map((_, i) => (call === 2 && i === 1 ? 'EIO' : null));
  });
  const first = committer.commit(await stage(dir, 'first', 'x'));
  const items = await Promise.all(['a', 'b', 'c'].map((name) => stage(dir, name, name)));
  const settled = Promise.allSettled(items.map((item) => committer.commit(item)));
  open();
  await first;
  const results = await settled;
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /EIO/);
  assert.equal(existsSync(join(dir, 'b')), false);
  assert.equal(existsSync(items[1]!.temp.toString()), false, 'no temporary left behind');
  assert.equal(readFileSync(join(dir, 'c'), 'utf8'), 'c');
});

test('BatchCommitter with the addon renaming in its job: files land; a directory in the way falls back to install()', async (t) => {
  const native = loadNative();
  if (native.syncDataBatchRenames !== true) return t.skip('the addon predates renames in syncDataBatch');
  const dir = mkdtempSync(join(tmpdir(), 'hs-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'b', 'sub'), { recursive: true }); // a non-empty directory where file b goes
  const installs: string[] = [];
  const items = await Promise.all(
    ['a', 'b', 'c'].map(async (name) => {
      const item = await stage(dir, name, `content ${name}`);
      return {
        ...item,
        target: Buffer.from(join(dir, name)),
        install: async () => {
          installs.push(name);
          rmSync(join(dir, name), { recursive: true, force: true });
          await item.install();
        },
      };
    }),
  );
  const committer = new BatchCommitter(new DirSyncs(), native.syncDataBatch.bind(native), true);
  await Promise.all(items.map((item) => committer.commit(item)));
  assert.deepEqual(installs, ['b'], 'only the one the plain rename could not place');
  for (const name of ['a', 'b', 'c']) assert.equal(readFileSync(join(dir, name), 'utf8'), `content ${name}`);
  for (const item of items) assert.equal(existsSync(item.temp.toString()), false);
});

test('BatchCommitter: each acknowledged batch is reported with its size and phases (the benchmarks read where the lag goes)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-batch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let call = 0;
  const real = loadNative().syncDataBatch;
  const reported: { files: number; dataMs: number; renameMs: number; dirMs: number }[] = [];
  const committer = new BatchCommitter(
    new DirSyncs(),
    async (fds) => {
      if (call++ === 0) await gate;
      return real(fds);
    },
    false,
    (phases) => reported.push(phases),
  );
  const first = committer.commit(await stage(dir, 'first', 'x'));
  const rest = await Promise.all(['a', 'b', 'c'].map((name) => stage(dir, name, name)));
  const committed = rest.map((item) => committer.commit(item));
  await new Promise((r) => setTimeout(r, 30));
  open();
  await Promise.all([first, ...committed]);
  // Reported once its acknowledgements are out: a moment after they resolve.
  for (const deadline = Date.now() + 10_000; reported.length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(reported.map((p) => p.files), [1, 3]);
  assert.ok(reported[0]!.dataMs >= 25, `the first batch's data sync waited at the gate (${reported[0]!.dataMs} ms)`);
  for (const p of reported) assert.ok(p.renameMs >= 0 && p.dirMs >= 0);
});
