/** Link identity in digests (link-index.ts, tree-digest.ts): equal structures digest equal, any change of structure shows. */
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, cpSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileKey, LinkIndex } from '../../src/replicate/link-index.js';
import { TreeDigester } from '../../src/replicate/tree-digest.js';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-links-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The same files in two trees (equal times), linked as `links` says in each. */
function twoTrees(base: string, links: [string, string][][]): [string, string] {
  const roots = [join(base, 'a'), join(base, 'b')] as [string, string];
  roots.forEach((root, side) => {
    mkdirSync(join(root, 'x', 'y'), { recursive: true });
    for (const name of ['one', 'x/two', 'x/y/three']) {
      writeFileSync(join(root, name), 'same');
      utimesSync(join(root, name), 1_700_000_000, 1_700_000_000);
    }
    for (const [from, to] of links[side]!) linkSync(join(root, from), join(root, to));
  });
  return roots;
}

const rootDigest = async (root: string) => (await new TreeDigester(Buffer.from(root)).tree('')).get('')!.toString('hex');

test('Trees linked the same way digest equal although their inodes differ', async (t) => {
  const [a, b] = twoTrees(scratch(t), [[['one', 'x/link']], [['one', 'x/link']]]);
  assert.equal(await rootDigest(a), await rootDigest(b));
});

test('A name linked to another file, or not linked, changes the digest', async (t) => {
  const base = scratch(t);
  const [a, b] = twoTrees(base, [[['one', 'x/link']], [['x/two', 'x/link']]]);
  assert.notEqual(await rootDigest(a), await rootDigest(b));
  const c = join(base, 'c');
  cpSync(a, c, { recursive: true, preserveTimestamps: true }); // x/link a copy, not a link
  assert.notEqual(await rootDigest(a), await rootDigest(c));
});

test('A link to a file outside the tree does not count; links removed again give the first digest', async (t) => {
  const base = scratch(t);
  const [a] = twoTrees(base, [[], []]);
  const digester = new TreeDigester(Buffer.from(a));
  const first = (await digester.tree('')).get('')!.toString('hex');
  linkSync(join(a, 'one'), join(base, 'outside'));
  assert.equal((await digester.tree('')).get('')!.toString('hex'), first, 'outside link ignored');
  linkSync(join(a, 'one'), join(a, 'x', 'y', 'inside'));
  const linked = (await digester.tree('')).get('')!.toString('hex');
  unlinkSync(join(a, 'x', 'y', 'inside'));
  const subtree = await digester.tree('x'); // a subtree walk: the index still knows 'one'
  assert.ok(subtree.has('x/y'));
  assert.equal((await digester.tree('')).get('')!.toString('hex'), first);
  assert.notEqual(linked, first);
});

test('list() names the leader of linked entries the same as tree()', async (t) => {
  const [a] = twoTrees(scratch(t), [[['x/y/three', 'x/alias'], ['x/y/three', 'zz']], []]);
  const digester = new TreeDigester(Buffer.from(a));
  await digester.tree('');
  const entries = await new TreeDigester(Buffer.from(a)).list('x');
  assert.equal(entries.find((e) => e.name === 'alias')?.link, 'x/alias', 'the smallest name leads (x/alias < x/y/three < zz)');
  const top = await digester.list('');
  assert.equal(top.find((e) => e.name === 'zz')?.link, 'x/alias');
  assert.equal(top.find((e) => e.name === 'one')?.link, undefined);
});

test('LinkIndex: renames move names, stale names are dropped when checked', async (t) => {
  const root = scratch(t);
  writeFileSync(join(root, 'f'), 'f');
  linkSync(join(root, 'f'), join(root, 'g'));
  const index = new LinkIndex(Buffer.from(root));
  const { statSync } = await import('node:fs');
  const st = statSync(join(root, 'f'), { bigint: true });
  const key = fileKey(st.dev, st.ino);
  index.observe('f', key);
  index.observe('g', key);
  index.observe('gone', key);
  assert.deepEqual(await index.verifiedNames(key), ['f', 'g']);
  assert.deepEqual(index.names(key), ['f', 'g'], 'the stale name is forgotten');
  index.rename('g', 'h');
  assert.deepEqual(index.names(key), ['f', 'h']);
  index.forgetWithin('');
  assert.equal(index.size, 0);
});

test('LinkIndex.replaceWithin(): a walk of a subtree forgets the names it did not see there, keeps and updates the rest', () => {
  const index = new LinkIndex(Buffer.from('/nonexistent'));
  const [k1, k2, k3] = [fileKey(1n, 10n), fileKey(1n, 20n), fileKey(1n, 30n)];
  index.observe('d/a', k1);
  index.observe('d/b', k2);
  index.observe('d/sub/c', k3);
  index.observe('other/x', k1);
  index.replaceWithin('d', new Map([['d/a', k1], ['d/b', k3], ['d/new', k2]]));
  assert.deepEqual(index.names(k1), ['d/a', 'other/x'], 'outside the walk: untouched');
  assert.deepEqual(index.names(k2), ['d/new'], 'd/b is another file now');
  assert.deepEqual(index.names(k3), ['d/b'], 'd/sub/c was not seen: forgotten');
  assert.equal(index.size, 4);
});

test('fileKey(): device and inode packed exactly (64-bit values, strings and numbers alike)', () => {
  assert.equal(fileKey(2049n, 18446744073709551615n), fileKey('2049', '18446744073709551615'));
  assert.equal(fileKey(1, 2), fileKey(1n, 2n));
  assert.notEqual(fileKey(1n, 2n), fileKey(2n, 1n));
  assert.notEqual(fileKey(1n, 2n ** 53n), fileKey(1n, 2n ** 53n + 1n), 'no precision lost above 2^53');
  assert.equal(fileKey(1n, 2n).length, 16);
});
