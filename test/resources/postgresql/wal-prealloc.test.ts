/**
 * Which segment a promotion would create (wal-prealloc.ts), against PostgreSQL 15's rules, and the
 * file itself (wal-segment-file.ts): made atomically with the right owner and mode, never over an
 * existing file, removed only while it is all zeros.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { historyTimelines, parseLsnBytes, preallocTarget, promotionTimeline, walFileName, walFileTimeline } from '../../../src/resources/postgresql/wal-prealloc.js';
import { ensureZeroSegment, moveZeroSegment, removeZeroSegment } from '../../../src/resources/postgresql/wal-segment-file.js';

const MB16 = 16 * 1024 * 1024;

describe('wal-prealloc: the segment a promotion would create', () => {
  it('walFileName() is XLogFileName: TLI, segno / segments-per-id, segno % segments-per-id', () => {
    assert.equal(walFileName(1, 0n, MB16), '000000010000000000000000');
    assert.equal(walFileName(3, 5n, MB16), '000000030000000000000005');
    // 256 segments of 16 MB per 4 GB "xlogid".
    assert.equal(walFileName(0x1a, 256n + 0x2bn, MB16), '0000001A000000010000002B');
    assert.equal(walFileName(2, 4097n, 1 << 30), '000000020000040000000001', '4 segments of 1 GB per id');
    assert.throws(() => walFileName(0, 1n, MB16), RangeError);
    assert.throws(() => walFileName(1, 1n, 3_000_000), RangeError);
  });

  it('parseLsnBytes() reads pg_lsn text and rejects anything else', () => {
    assert.equal(parseLsnBytes('0/3000028'), 0x3000028n);
    assert.equal(parseLsnBytes('1/A0'), (1n << 32n) + 0xa0n);
    assert.throws(() => parseLsnBytes('3000028'), SyntaxError);
    assert.throws(() => parseLsnBytes('0/xyz'), /Not a WAL position/);
  });

  it('promotionTimeline() is findNewestTimeLine + 1: the first timeline above the followed one with no history file', () => {
    assert.equal(promotionTimeline(1, new Set()), 2);
    assert.equal(promotionTimeline(2, new Set([2])), 3);
    assert.equal(promotionTimeline(2, new Set([2, 3, 4])), 5, 'timelines other nodes made are skipped');
    assert.equal(promotionTimeline(2, new Set([2, 4])), 3, 'findNewestTimeLine stops at the first gap');
    assert.deepEqual([...historyTimelines(['00000002.history', '0000000A.history', '000000020000000000000003', '00000003.history.tmp'])].sort((x, y) => x - y), [2, 10]);
    assert.equal(walFileTimeline('0000000A0000000000000003'), 10);
    assert.equal(walFileTimeline('0000000A.history'), undefined);
  });

  it('preallocTarget(): segment of the byte before the end + 1, on the new timeline, once replay passed the threshold', () => {
    const base = { timeline: 2, histories: new Set([2]), segmentSize: MB16, threshold: 0.5 };
    const seg5 = 5n * BigInt(MB16);
    assert.equal(preallocTarget({ ...base, replayLsn: seg5 + BigInt(MB16 / 2) - 2n }), undefined, 'below half: nothing');
    assert.equal(preallocTarget({ ...base, replayLsn: seg5 + BigInt(MB16 / 2) + 1n }), '000000030000000000000006');
    assert.equal(preallocTarget({ ...base, replayLsn: seg5 + BigInt(Math.floor(MB16 * 0.9)) }), '000000030000000000000006');
    // WAL ending exactly at a segment boundary: the byte before is the last of segment 5 (XLByteToPrevSeg).
    assert.equal(preallocTarget({ ...base, replayLsn: seg5 + BigInt(MB16) }), '000000030000000000000006');
    assert.equal(preallocTarget({ ...base, threshold: 0.75, replayLsn: seg5 + BigInt(Math.floor(MB16 * 0.7)) }), undefined);
    assert.throws(() => preallocTarget({ ...base, threshold: 0.9, replayLsn: seg5 }), /threshold/);
  });
});

describe('wal-segment-file: the zero-filled segment', () => {
  const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

  it('ensureZeroSegment() makes size zero bytes, mode 0600, no temporary file left; an existing file is left alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hs-walseg-'));
    try {
      assert.equal(await ensureZeroSegment(dir, '000000030000000000000006', 2 * 1024 * 1024, owner), true);
      const st = await stat(join(dir, '000000030000000000000006'));
      assert.equal(st.size, 2 * 1024 * 1024);
      assert.equal(st.mode & 0o777, 0o600);
      assert.ok((await readFile(join(dir, '000000030000000000000006'))).every((b) => b === 0));
      assert.deepEqual(await readdir(dir), ['000000030000000000000006']);
      await writeFile(join(dir, '000000030000000000000007'), 'PostgreSQL wrote this');
      assert.equal(await ensureZeroSegment(dir, '000000030000000000000007', 2 * 1024 * 1024, owner), false);
      assert.equal(await readFile(join(dir, '000000030000000000000007'), 'utf8'), 'PostgreSQL wrote this');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removeZeroSegment() removes only an all-zero file of the size, and only if the last check agrees', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hs-walseg-'));
    try {
      const size = 2 * 1024 * 1024;
      await ensureZeroSegment(dir, 'A', size, owner);
      await ensureZeroSegment(dir, 'B', size, owner);
      const written = Buffer.alloc(size);
      written[size - 1] = 1;
      await writeFile(join(dir, 'C'), written);
      assert.equal(await removeZeroSegment(dir, 'C', size), false, 'a byte written: not ours any more');
      assert.equal(await removeZeroSegment(dir, 'B', size, async () => false), false, 'the last check said no');
      assert.equal(await removeZeroSegment(dir, 'A', size), true);
      assert.equal(await removeZeroSegment(dir, 'missing', size), false);
      assert.deepEqual((await readdir(dir)).sort(), ['B', 'C']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('moveZeroSegment() renames an all-zero file of ours (the same inode), never over an existing name, never one with data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hs-walseg-'));
    try {
      const size = 2 * 1024 * 1024;
      await ensureZeroSegment(dir, 'A', size, owner);
      const ino = (await stat(join(dir, 'A'))).ino;
      assert.equal(await moveZeroSegment(dir, 'A', 'B', size, async () => true), true);
      assert.equal((await stat(join(dir, 'B'))).ino, ino);
      assert.deepEqual(await readdir(dir), ['B']);
      await writeFile(join(dir, 'C'), 'PostgreSQL wrote this');
      assert.equal(await moveZeroSegment(dir, 'B', 'C', size, async () => true), false, 'C exists: not replaced');
      assert.equal(await readFile(join(dir, 'C'), 'utf8'), 'PostgreSQL wrote this');
      assert.equal(await moveZeroSegment(dir, 'B', 'D', size, async () => false), false, 'the last check said no');
      const written = Buffer.alloc(size);
      written[7] = 1;
      await writeFile(join(dir, 'E'), written);
      assert.equal(await moveZeroSegment(dir, 'E', 'F', size, async () => true), false, 'not all zeros');
      assert.deepEqual((await readdir(dir)).sort(), ['B', 'C', 'E']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
