/** packUsage(): restic 0.14's used/unused counting with duplicate blobs (prune-usage.ts), table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PackedBlob } from '../../src/backup/repo/pack.js';
import { blobKey, packUsage } from '../../src/backup/verbs/prune-usage.js';

const blob = (id: string, type: 'data' | 'tree' = 'data', length = 100): PackedBlob => ({ type, id, offset: 0, length, uncompressedLength: length });
const used = (u: ReturnType<typeof packUsage>) => Object.fromEntries([...u.packs].map(([id, p]) => [id, p.used.map((b) => b.id).sort().join(',')]));

test('packUsage() chooses, for a duplicate, the copy in a pack that has other used blobs, else the last copy', () => {
  const cases: { name: string; packs: [string, PackedBlob[]][]; wanted: string[]; used: Record<string, string> }[] = [
    { name: 'first pack alone, second has a used blob', packs: [['p1', [blob('a'), blob('b')]], ['p2', [blob('a'), blob('c')]]], wanted: ['a', 'c'], used: { p1: '', p2: 'a,c' } },
    { name: 'first pack has a used blob', packs: [['p1', [blob('b'), blob('a')]], ['p2', [blob('a'), blob('c')]]], wanted: ['a', 'b', 'c'], used: { p1: 'a,b', p2: 'c' } },
    { name: 'no pack has another used blob: the last copy', packs: [['p1', [blob('a')]], ['p2', [blob('a')]], ['p3', [blob('a'), blob('x')]]], wanted: ['a'], used: { p1: '', p2: '', p3: 'a' } },
    { name: 'a chosen duplicate draws the next ones into its pack', packs: [['p1', [blob('a'), blob('b')]], ['p2', [blob('a'), blob('b')]]], wanted: ['a', 'b'], used: { p1: '', p2: 'a,b' } },
    { name: 'data blobs are walked before trees', packs: [['t1', [blob('t', 'tree')]], ['d1', [blob('a')]], ['m', [blob('a'), blob('t', 'tree')]]], wanted: ['a', 't'].map((x) => x), used: { t1: '', d1: '', m: 'a,t' } },
  ];
  for (const c of cases) {
    const wanted = new Set(c.wanted.map((id) => blobKey(id === 't' ? 'tree' : 'data', id)));
    assert.deepEqual(used(packUsage(new Map(c.packs), wanted)), c.used, c.name);
  }
});

test('packUsage() counts each used blob once, extra copies as duplicates, and reports used blobs no pack holds', () => {
  const u = packUsage(new Map([['p1', [blob('a', 'data', 10), blob('x', 'data', 7)]], ['p2', [blob('a', 'data', 12)]]]), new Set(['da', 'dz']));
  assert.deepEqual([u.usedBytes, u.usedBlobs, u.duplicateBytes, u.duplicateBlobs, u.unusedBytes, u.unusedBlobs, u.missing], [10, 1, 12, 1, 7, 1, ['dz']]);
  const p1 = u.packs.get('p1')!;
  assert.deepEqual([p1.usedBytes, p1.unusedBytes, p1.unusedBlobs, p1.kind], [0, 17, 2, 'data'], 'p1: the last copy (p2) is chosen');
});
