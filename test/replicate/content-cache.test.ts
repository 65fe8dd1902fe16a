/**
 * The content-hash cache kept across restarts (content-cache.ts): a restart must still find a
 * file changed while the daemon was down, whatever was done to hide it (same size, mtime put
 * back), and must not trust a hash taken within the racy window of the file's ctime.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';
import { ContentCache, RACY_NS } from '../../src/replicate/content-cache.js';
import { TreeDigester } from '../../src/replicate/tree-digest.js';

/** A wall clock far enough ahead that every file here is older than the racy window. */
const later = () => BigInt(Date.now()) * 1_000_000n + 10n * RACY_NS;

function tree(t: { after: (fn: () => void) => void }) {
  const base = mkdtempSync(join(tmpdir(), 'hs-replperf-cache-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'tree');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'f'), 'version one');
  writeFileSync(join(root, 'a', 'g'), 'other');
  writeFileSync(join(root, 'top'), 'top');
  return { root, cacheFile: join(base, 'content-hashes.bin') };
}

for (const mode of ['batch', 'addon', 'node'] as const) {
  const variant = mode === 'batch' ? 'with the addon scan and batch hashing' : mode === 'addon' ? 'with the addon scan, a read per file' : 'with readdir and lstat';
  const native = mode === 'node' ? undefined : loadNative();
  const digester = (root: string, cache: ContentCache) =>
    new TreeDigester(Buffer.from(root), {
      cache,
      scanDirectory: native?.scanDirectory?.bind(native),
      readSmallFile: native?.readSmallFile?.bind(native),
      ...(mode === 'batch' && { hashFiles: native?.hashFiles?.bind(native) }),
    });

  test(`A restart finds a file changed while down, same size and mtime put back (${variant})`, async (t) => {
    const { root, cacheFile } = tree(t);
    const first = await ContentCache.load(cacheFile, later);
    const before = await digester(root, first).tree('');
    assert.equal(first.size, 3, 'every file old enough is cached');
    const file = join(root, 'a', 'b', 'f');
    const st = statSync(file);
    writeFileSync(file, 'version two'); // same length
    utimesSync(file, st.atime, st.mtime); // mtime as it was: only ctime tells
    const reloaded = await ContentCache.load(cacheFile, later);
    assert.equal(reloaded.size, 3, 'the cache was saved and read back');
    const after = await digester(root, reloaded).tree('');
    assert.notDeepEqual(after.get(''), before.get(''));
    assert.notDeepEqual(after.get('a/b'), before.get('a/b'));
    assert.deepEqual(after.get('a/b'), (await digester(root, ContentCache.inMemory(later)).tree('')).get('a/b'), 'the same digest as without a cache');
  });

  test(`An unchanged tree after a restart digests the same from the cache (${variant})`, async (t) => {
    const { root, cacheFile } = tree(t);
    const before = await digester(root, await ContentCache.load(cacheFile, later)).tree('');
    const after = await digester(root, await ContentCache.load(cacheFile, later)).tree('');
    assert.deepEqual([...after], [...before]);
  });
}

test('A hash taken within the racy window of the file ctime is not kept', async (t) => {
  const { root, cacheFile } = tree(t);
  const cache = await ContentCache.load(cacheFile); // the real clock: the files are just written
  await new TreeDigester(Buffer.from(root), { cache }).tree('');
  assert.equal(cache.size, 0);
  const native = loadNative();
  await new TreeDigester(Buffer.from(root), { cache, scanDirectory: native.scanDirectory?.bind(native), hashFiles: native.hashFiles?.bind(native) }).tree('');
  assert.equal(cache.size, 0, 'nor by the batch hashing');
});

test('Removed files leave the cache at the next full walk; a damaged cache file is an empty cache', async (t) => {
  const { root, cacheFile } = tree(t);
  const cache = await ContentCache.load(cacheFile, later);
  const digester = new TreeDigester(Buffer.from(root), { cache });
  await digester.tree('');
  rmSync(join(root, 'a'), { recursive: true });
  await digester.tree('');
  assert.equal(cache.size, 1);
  const bytes = readFileSync(cacheFile);
  writeFileSync(cacheFile, bytes.subarray(0, bytes.length - 5));
  assert.equal((await ContentCache.load(cacheFile, later)).size, 0);
  writeFileSync(cacheFile, 'not a cache');
  assert.equal((await ContentCache.load(cacheFile, later)).size, 0);
});
