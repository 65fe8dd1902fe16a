/**
 * The one test suite every Backend passes (restic's style: the contract in repo/backend.ts, tested
 * against each implementation, the in-memory fake included).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { backup } from '../../../src/backup/archiver.js';
import { acquireLock } from '../../../src/backup/lock.js';
import { AlreadyExistsError, NotFoundError, type Backend, type Handle } from '../../../src/backup/repo/backend.js';
import { Repository } from '../../../src/backup/repo/repository.js';
import { check } from '../../../src/backup/verbs/check.js';
import { LEFTOVER_MIN_AGE_MS } from '../../../src/backup/verbs/leftovers.js';
import { prune } from '../../../src/backup/verbs/prune.js';

export interface BackendFixture {
  backend: Backend;
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  /**
   * Starts `backend.save(h, data)` and interrupts it the hard way once it is under way (kill -9
   * of the writer or its ssh, a cut TCP connection); resolves when the save has failed. Backends
   * that cannot be interrupted (memory) leave it out and the test is skipped, saying so.
   */
  cutSave?: (backend: Backend, h: Handle, data: Uint8Array) => Promise<void>;
  /**
   * The store keeps what arrived of a cut upload under the final name (s3rver does; real S3 never
   * does): the reason. The test then checks that such a leftover is never taken for the file
   * (smaller than it) and that saving again replaces it.
   */
  cutLeavesPartial?: string;
  /** A second backend on the same location (a fresh connection) for checks after a cut. */
  reopen?: (backend: Backend) => Promise<Backend>;
  /** Runs `restic check --read-data` on the backend's repository (password 'pw'); rejects when it fails. */
  resticCheck?: (backend: Backend) => Promise<void>;
}

const id = () => randomBytes(32).toString('hex');

export function backendSuite(name: string, make: () => Promise<BackendFixture>, options: SuiteOptions = {}): void {
  const withBackend = (what: string, fn: (b: Backend) => Promise<void>) =>
    test(`${name}: ${what}`, async () => {
      const f = await make();
      try {
        await f.backend.create();
        await fn(f.backend);
      } finally {
        await f.backend.close();
        await f.cleanup();
      }
    });

  withBackend('save() then load() gives the bytes back, whole and by range', async (b) => {
    const data = randomBytes(1000);
    const h = { type: 'data', name: id() } as const;
    await b.save(h, data);
    assert.deepEqual(Buffer.from(await b.load(h)), data);
    assert.deepEqual(Buffer.from(await b.load(h, 10, 20)), data.subarray(10, 30));
    assert.deepEqual(Buffer.from(await b.load(h, 990)), data.subarray(990));
    assert.equal((await b.stat(h)).size, 1000);
  });

  withBackend('save() of an existing name rejects with AlreadyExistsError and keeps the first file', async (b) => {
    const h = { type: 'snapshots', name: id() } as const;
    await b.save(h, Buffer.from('first'));
    await assert.rejects(b.save(h, Buffer.from('second')), AlreadyExistsError);
    assert.equal(Buffer.from(await b.load(h)).toString(), 'first');
  });

  withBackend('load() and stat() of a missing file reject with NotFoundError', async (b) => {
    await assert.rejects(b.load({ type: 'index', name: id() }), NotFoundError);
    await assert.rejects(b.stat({ type: 'keys', name: id() }), NotFoundError);
    await assert.rejects(b.load({ type: 'config', name: '' }), NotFoundError);
  });

  withBackend('load() past the end rejects with RangeError', async (b) => {
    const h = { type: 'data', name: id() } as const;
    await b.save(h, Buffer.alloc(10));
    await assert.rejects(b.load(h, 5, 10), RangeError);
  });

  withBackend('remove() deletes and is idempotent', async (b) => {
    const h = { type: 'locks', name: id() } as const;
    await b.save(h, Buffer.from('x'));
    await b.remove(h);
    await b.remove(h);
    await assert.rejects(b.stat(h), NotFoundError);
  });

  withBackend('list() returns the files of one type with their sizes, packs across all data/ subdirectories', async (b) => {
    const packs = [id(), id(), id()];
    for (const [i, p] of packs.entries()) await b.save({ type: 'data', name: p }, Buffer.alloc(i + 1));
    const snap = id();
    await b.save({ type: 'snapshots', name: snap }, Buffer.alloc(7));
    await b.save({ type: 'config', name: '' }, Buffer.alloc(3));
    const listed = (await b.list('data')).sort((x, y) => x.name.localeCompare(y.name));
    assert.deepEqual(
      listed,
      packs.map((p, i) => ({ name: p, size: i + 1 })).sort((x, y) => x.name.localeCompare(y.name)),
    );
    assert.deepEqual(await b.list('snapshots'), [{ name: snap, size: 7 }]);
    assert.deepEqual(await b.list('index'), []);
  });

  withBackend('load() of a range of a large file (several transfer chunks) gives exactly those bytes', async (b) => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const h = { type: 'data', name: id() } as const;
    await b.save(h, data);
    assert.ok(Buffer.from(await b.load(h)).equals(data));
    assert.ok(Buffer.from(await b.load(h, 1_000_003, 2 * 1024 * 1024)).equals(data.subarray(1_000_003, 1_000_003 + 2 * 1024 * 1024)));
  });

  withBackend('remove() and list() of missing things are not errors; list() of an empty type is empty', async (b) => {
    await b.remove({ type: 'data', name: id() });
    assert.deepEqual(await b.list('locks'), []);
    assert.deepEqual(await b.list('data'), []);
  });

  const cut = options.cutSave;
  test(`${name}: a save interrupted midway leaves nothing under the final name, and saving again works`, { skip: cut ? false : 'this backend has no way to be interrupted mid-save' }, async () => {
    const f = await make();
    let second: Backend | undefined;
    try {
      await f.backend.create();
      // Named by content, as every repository file but config is.
      const data = randomBytes(48 * 1024 * 1024);
      const h = { type: 'data', name: createHash('sha256').update(data).digest('hex') } as const;
      await cut!(f.backend, h, data);
      second = options.reopen ? await options.reopen(f.backend) : f.backend;
      if (options.cutLeavesPartial === undefined) {
        await assert.rejects(second.stat(h), NotFoundError);
        await assert.rejects(second.load(h), NotFoundError);
        assert.deepEqual((await second.list('data')).filter((e) => e.name === h.name), []);
      } else {
        const left = (await second.list('data')).filter((e) => e.name === h.name);
        assert.ok(left.every((e) => e.size < data.length), `a cut upload must not look complete (${options.cutLeavesPartial})`);
      }
      // What an interrupted save leaves: a temporary file (atomic-rename backends), listed by
      // listTemporary() only, and removable; a single-PUT store has none.
      const temps = (await second.listTemporary()).filter((t) => t.name.startsWith(`${h.name}-tmp-`));
      if (options.cutLeavesPartial === undefined) {
        assert.equal(temps.length, 1, 'the interrupted save left its temporary file');
        assert.equal(temps[0]!.type, 'data');
        assert.ok(temps[0]!.size < data.length);
        await second.removeTemporary(temps[0]!);
        await second.removeTemporary(temps[0]!); // idempotent
        assert.deepEqual((await second.listTemporary()).filter((t) => t.name.startsWith(`${h.name}-tmp-`)), []);
      } else assert.deepEqual(temps, []);
      await second.save(h, data);
      assert.ok(Buffer.from(await second.load(h)).equals(Buffer.from(data)));
    } finally {
      if (second && second !== f.backend) await second.close();
      await f.backend.close();
      await f.cleanup();
    }
  });

  test(`${name}: a backup, an interrupted save, then prune: nothing of the save is left once it is old enough; the repository checks clean`, { skip: cut ? false : 'this backend has no way to be interrupted mid-save', timeout: 180_000 }, async () => {
    const f = await make();
    const src = mkdtempSync(join(tmpdir(), 'hs-suite-src-'));
    let second: Backend | undefined;
    try {
      writeFileSync(join(src, 'a'), randomBytes(300_000));
      writeFileSync(join(src, 'b'), 'text\n'.repeat(1000));
      const repo = await Repository.init(f.backend, 'pw', { scrypt: { N: 1024, r: 8, p: 1 } });
      await backup(repo, { paths: [src] });
      const data = randomBytes(48 * 1024 * 1024);
      const h = { type: 'data', name: createHash('sha256').update(data).digest('hex') } as const;
      await cut!(f.backend, h, data);
      second = options.reopen ? await options.reopen(f.backend) : f.backend;
      const after = await Repository.open(second, 'pw');
      const release = await acquireLock(after, true);
      try {
        const now = await prune(after);
        const later = await prune(after, { now: Date.now() + LEFTOVER_MIN_AGE_MS + 60_000 });
        if (options.cutLeavesPartial === undefined) {
          assert.deepEqual([now.tempFilesKept, now.tempFilesRemoved], [1, 0], 'just written: it may be a live writer\'s');
          assert.deepEqual([later.tempFilesKept, later.tempFilesRemoved], [0, 1], '30 minutes untouched: removed');
        } else assert.deepEqual([now.tempFilesKept + later.tempFilesKept, now.tempFilesRemoved + later.tempFilesRemoved], [0, 0], 'no temporary files (what a cut upload left under the final name is an unreferenced pack)');
      } finally {
        await release();
      }
      assert.deepEqual(await second.listTemporary(), []);
      assert.ok(!(await second.list('data')).some((e) => e.name === h.name));
      assert.deepEqual((await check(after, { readData: true })).errors, []);
      if (second !== f.backend) await second.close();
      second = undefined;
      await options.resticCheck?.(f.backend);
    } finally {
      rmSync(src, { recursive: true, force: true });
      if (second && second !== f.backend) await second.close();
      await f.backend.close();
      await f.cleanup();
    }
  });

  withBackend('listTemporary() of a new repository is empty', async (b) => {
    assert.deepEqual(await b.listTemporary(), []);
  });

  withBackend('create() on an existing repository rejects with AlreadyExistsError', async (b) => {
    await b.save({ type: 'config', name: '' }, Buffer.from('c'));
    await assert.rejects(b.create(), AlreadyExistsError);
  });
}
