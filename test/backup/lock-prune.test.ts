/**
 * Locks and prune over the in-memory backend: a held lock is renewed (new file, old one removed)
 * so it never looks stale; two exclusive lockers racing never both win; a prune interrupted at
 * any removal leaves a repository whose remaining snapshots check clean and restore whole.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { backup } from '../../src/backup/archiver.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { acquireLock, LockedError, withLock } from '../../src/backup/lock.js';
import type { Backend, Handle, TempFileInfo } from '../../src/backup/repo/backend.js';
import { decodeLock } from '../../src/backup/repo/lock.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { restore } from '../../src/backup/restorer.js';
import { loadSnapshots } from '../../src/backup/snapshots.js';
import { check } from '../../src/backup/verbs/check.js';
import { prune } from '../../src/backup/verbs/prune.js';
import { removeSnapshots } from '../../src/backup/verbs/forget.js';
import { checkSubset, forgetTagged } from '../../src/backup/verbs/jobs.js';
import { waitFor } from './restic-fixture.js';

const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
const scratch = mkdtempSync(join(tmpdir(), 'hs-lock-prune-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a held lock is renewed: a newer lock file replaces the old one, and release removes it', async () => {
  const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
  const release = await acquireLock(repo, false, { refreshMs: 20 });
  const first = await repo.list('locks');
  assert.equal(first.length, 1);
  const firstTime = decodeLock(await repo.loadUnpacked('locks', first[0]!)).time;
  await waitFor(async () => {
    const now = await repo.list('locks');
    return now.length === 1 && now[0] !== first[0];
  }, 'a renewed lock');
  const renewed = decodeLock(await repo.loadUnpacked('locks', (await repo.list('locks'))[0]!)).time;
  assert.ok(renewed.sec * 1e9 + renewed.nsec > firstTime.sec * 1e9 + firstTime.nsec);
  await release();
  assert.deepEqual(await repo.list('locks'), []);
});

test('withLock: when the work fails and the target is gone, the work\'s failure is what the caller gets, with the lock\'s after it', async () => {
  const backend = new MemoryBackend();
  const repo = await Repository.init(backend, 'pw', FAST);
  // The target goes away mid-work: from then on every call fails, the lock's removal too.
  const remove = backend.remove.bind(backend);
  let gone = false;
  backend.remove = async (h) => {
    if (gone) throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
    return remove(h);
  };
  const work = withLock(repo, false, async () => {
    gone = true;
    throw new Error('PUT data/1234: read ECONNRESET');
  });
  await assert.rejects(work, (e: Error) => /^PUT data\/1234: read ECONNRESET \(and removing the lock failed: connect ECONNREFUSED/.test(e.message));
  // The target back: the work's result, and the lock removed after it.
  gone = false;
  assert.equal(await withLock(repo, false, async () => (await repo.list('locks')).length), 2, 'held during the work, beside the one the failed release left');
  assert.equal((await repo.list('locks')).length, 1, 'only the lock the failed release left');
  // Work that succeeded but whose lock cannot be removed fails with that (the lock would block others).
  gone = false;
  await assert.rejects(
    withLock(repo, false, async () => {
      gone = true;
      return 1;
    }),
    /ECONNREFUSED/,
  );
});

test('two exclusive lockers racing never both hold the repository', async () => {
  for (let round = 0; round < 10; round++) {
    const repo = await Repository.init(new MemoryBackend(), 'pw', FAST);
    const results = await Promise.allSettled([acquireLock(repo, true), acquireLock(repo, true)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.ok(won.length <= 1, `round ${round}: both won`);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof LockedError);
    for (const r of won) await (r as PromiseFulfilledResult<() => Promise<void>>).value();
    assert.deepEqual(await repo.list('locks'), [], 'losers leave no lock behind');
  }
});

/** A backend that fails every remove after the first `allowed` (a prune killed part-way). */
class CrashingBackend implements Backend {
  removes = 0;
  constructor(private readonly inner: MemoryBackend, private readonly allowed: number) {}
  location() { return this.inner.location(); }
  create() { return this.inner.create(); }
  open() { return this.inner.open(); }
  save(h: Handle, d: Uint8Array) { return this.inner.save(h, d); }
  load(h: Handle, o?: number, l?: number) { return this.inner.load(h, o, l); }
  stat(h: Handle) { return this.inner.stat(h); }
  list(t: Parameters<Backend['list']>[0]) { return this.inner.list(t); }
  listTemporary() { return this.inner.listTemporary(); }
  removeTemporary(f: TempFileInfo) { return this.inner.removeTemporary(f); }
  close() { return this.inner.close(); }
  async remove(h: Handle) {
    if (this.removes++ >= this.allowed) throw new Error('crash');
    return this.inner.remove(h);
  }
}

test('prune interrupted after any number of removals leaves the remaining snapshots whole; finished, it frees the data', async () => {
  const src = join(scratch, 'src');
  mkdirSync(src);
  const mem = new MemoryBackend();
  const repo = await Repository.init(mem, 'pw', { ...FAST, packSize: 64 * 1024 });
  // Three snapshots: files come and go, so that packs end up unused and partly used.
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 6; j++) writeFileSync(join(src, `f${j}`), `${j % 2 ? i : 'same'}-${j}-`.repeat(5000 + j * 997)); // odd files change
    await backup(repo, { paths: [src], hostname: 'h', time: { sec: 1_700_000_000 + i, nsec: 0, offsetMinutes: 0 } });
  }
  const snaps = await loadSnapshots(repo);
  await removeSnapshots(repo, snaps.slice(0, 2));
  const keep = snaps[2]!;
  const total = (await mem.list('data')).reduce((n, f) => n + f.size, 0);
  let removals = 0;
  for (let allowed = 0; ; allowed++) {
    // Each attempt on a copy of the repository as it was before pruning.
    const copy = new MemoryBackend();
    for (const t of ['keys', 'snapshots', 'index', 'data'] as const) for (const f of await mem.list(t)) await copy.save({ type: t, name: f.name }, await mem.load({ type: t, name: f.name }));
    await copy.save({ type: 'config', name: '' }, await mem.load({ type: 'config', name: '' }));
    const crashing = new CrashingBackend(copy, allowed);
    const r = await Repository.open(crashing, 'pw', { packSize: 64 * 1024 });
    let finished = true;
    try {
      const pr = await prune(r, { packSize: 64 * 1024 });
      assert.ok(pr.packsRepacked >= 1 && pr.packsDeleted >= 1, `repacked ${pr.packsRepacked}, deleted ${pr.packsDeleted}`);
    } catch (err) {
      assert.equal((err as Error).message, 'crash');
      finished = false;
    }
    const after = await Repository.open(copy, 'pw');
    const result = await check(after, { readData: true });
    assert.deepEqual(result.errors, [], `after ${allowed} removals`);
    const target = join(scratch, `t-${allowed}`);
    await restore(after, keep.snapshot.tree, { target });
    for (let j = 0; j < 6; j++) assert.equal(readFileSync(join(target, src, `f${j}`), 'utf8'), readFileSync(join(src, `f${j}`), 'utf8'));
    rmSync(target, { recursive: true });
    if (finished) {
      removals = crashing.removes;
      const left = (await copy.list('data')).reduce((n, f) => n + f.size, 0);
      assert.ok(left < total * 0.6, `pruned ${total} to ${left} bytes`);
      assert.equal(result.hints.length, 0, 'no unreferenced packs left');
      break;
    }
  }
  assert.ok(removals >= 3, `prune removed index files and packs (${removals} removals)`);
});

test('the job adapters: forgetTagged keeps the policy within one tag and prunes; checkSubset reports clean, then damage', async () => {
  const src = join(scratch, 'jobs-src');
  mkdirSync(src);
  const mem = new MemoryBackend();
  const repo = await Repository.init(mem, 'pw', FAST);
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(src, 'f'), `version ${i}\n`.repeat(1000));
    await backup(repo, { paths: [src], hostname: 'h', tags: ['nightly'], time: { sec: 1_700_000_000 + i * 86_400, nsec: 0, offsetMinutes: 0 } });
  }
  await backup(repo, { paths: [src], hostname: 'h', tags: ['manual'], time: { sec: 1_600_000_000, nsec: 0, offsetMinutes: 0 } });
  const r = await forgetTagged(repo, { keepLast: 2, prune: true }, 'nightly');
  assert.deepEqual(r, { removed: 2, kept: 2 });
  const left = await loadSnapshots(repo);
  assert.deepEqual(left.map((s) => s.snapshot.tags), [['manual'], ['nightly'], ['nightly']], 'other tags untouched');
  assert.deepEqual(await repo.list('locks'), []);
  assert.deepEqual(await checkSubset(repo, '100%'), { errors: [] });
  // Damage every pack: the check names each snapshot as damaged (their trees are in them too).
  for (const f of await mem.list('data')) {
    const bytes = Buffer.from(await mem.load({ type: 'data', name: f.name }));
    bytes[20] = bytes[20]! ^ 1;
    await mem.remove({ type: 'data', name: f.name });
    await mem.save({ type: 'data', name: f.name }, bytes);
  }
  const damaged = await checkSubset(await Repository.open(mem, 'pw'), '100%');
  assert.equal(damaged.errors.filter((e) => /^snapshot [0-9a-f]{8} is damaged: \//.test(e)).length, 3, damaged.errors.join('\n'));
});
