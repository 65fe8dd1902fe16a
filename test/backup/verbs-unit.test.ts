/**
 * The pure parts of the backup verbs: restic's patterns, the forget policy (restic's documented
 * examples), pax tar headers, --read-data-subset, the progress line and --require-mount.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requiredMountReason } from '../../src/backup/backend/mount-check.js';
import { parseGoTime } from '../../src/backup/repo/go-json.js';
import type { Snapshot } from '../../src/backup/repo/snapshot.js';
import { parseSubset, selectPacks } from '../../src/backup/verbs/check.js';
import { applyPolicy, isoWeek } from '../../src/backup/verbs/forget-policy.js';
import { planForget } from '../../src/backup/verbs/forget.js';
import { childMayMatch, excludedBy, matchPattern, parsePattern } from '../../src/backup/verbs/pattern.js';
import { paxRecord, paxTime, tarHeader } from '../../src/backup/verbs/tar.js';
import { progressPeriodMs, renderProgress } from '../../src/cli/backup-verbs/progress.js';
import { goFileModeString } from '../../src/cli/backup-verbs/node-json.js';

const m = (pattern: string, path: string) => matchPattern(parsePattern(pattern), path);

test('patterns match as restic\'s filter does (filter_test.go cases)', () => {
  assert.ok(m('*.go', '/foo/bar/test.go'));
  assert.ok(m('bar', '/foo/bar/test.go'), 'a name matches any component');
  assert.ok(m('foo/bar', '/foo/bar/test.go'));
  assert.ok(m('/foo', '/foo/bar/test.go'), 'an anchored directory matches what is below it');
  assert.ok(!m('/bar', '/foo/bar/test.go'), 'anchored at the root');
  assert.ok(m('/foo/**/test.go', '/foo/bar/baz/test.go'));
  assert.ok(m('/foo/**/test.go', '/foo/test.go'), '** may stand for nothing');
  assert.ok(m('**/test.go', '/x/y/test.go'));
  assert.ok(m('te?t.go', '/a/test.go'));
  assert.ok(!m('te?t.go', '/a/teeest.go'));
  assert.ok(m('[a-c]at', '/x/bat'));
  assert.ok(!m('[^a-c]at', '/x/bat'));
  assert.ok(m('\\*.go', '/x/*.go') && !m('\\*.go', '/x/a.go'), 'backslash escapes');
  assert.ok(!m('*.go', '/foo/bar/test.gox'));
  assert.ok(!m('', '/foo'));
  assert.ok(m('foo/', '/x/foo/y'), 'a trailing slash is cleaned away');
  assert.ok(childMayMatch(parsePattern('/srv/www/index.html'), '/srv'));
  assert.ok(!childMayMatch(parsePattern('/srv/www/index.html'), '/etc'));
  assert.ok(childMayMatch(parsePattern('*.html'), '/etc'));
  const ex = ['*.log', '!keep.log', 'cache'].map(parsePattern);
  assert.ok(excludedBy(ex, '/var/app/x.log'));
  assert.ok(!excludedBy(ex, '/var/app/keep.log'), '! re-includes');
  assert.ok(excludedBy(ex, '/home/u/cache'));
  assert.ok(!excludedBy(ex, '/home/u/caches'));
});

const snap = (time: string, tags?: string[]): { id: string; snapshot: Snapshot } => ({
  id: time,
  snapshot: { time: parseGoTime(time), tree: '0'.repeat(64), paths: ['/srv'], hostname: 'h', ...(tags ? { tags } : {}) },
});

test('forget policy: restic\'s rules, newest first, one snapshot per bucket, budgets counted down', () => {
  const days = Array.from({ length: 40 }, (_, i) => snap(`2024-01-${String((i % 31) + 1).padStart(2, '0')}T${i < 31 ? '10' : '20'}:00:00Z`));
  const d = applyPolicy(days, { daily: 7 });
  // 7 different days, the newest snapshot of each.
  const keptDays = d.keep.map((e) => e.id.slice(0, 10));
  assert.equal(new Set(keptDays).size, 7);
  assert.deepEqual(keptDays, ['2024-01-31', '2024-01-30', '2024-01-29', '2024-01-28', '2024-01-27', '2024-01-26', '2024-01-25']);
  assert.equal(d.keep.length + d.remove.length, 40);
  assert.deepEqual(d.reasons[0]!.matches, ['daily snapshot']);

  const last = applyPolicy(days, { last: 3, monthly: 2 });
  assert.equal(last.keep.length, 3, 'January is one month: the newest snapshot already counts for it');
  assert.deepEqual(last.reasons[0]!.matches, ['last snapshot', 'monthly snapshot']);
  const tagged = applyPolicy([...days, snap('2023-06-01T00:00:00Z', ['keep'])], { last: 1, tags: [['keep']] });
  assert.deepEqual(tagged.keep.map((e) => e.id), ['2024-01-31T10:00:00Z', '2023-06-01T00:00:00Z']);
  assert.equal(applyPolicy(days, {}).remove.length, 0, 'no rule: nothing is removed');
  // Buckets are taken in the zone the time was recorded in: 00:30 and 23:30 at +02:00 are one
  // day there, though 22:30Z on 29 February and 21:30Z on 1 March in UTC.
  const zoned = applyPolicy([snap('2024-03-01T23:30:00+02:00'), snap('2024-03-01T00:30:00+02:00')], { daily: 5 });
  assert.equal(zoned.keep.length, 1);
  // ISO weeks: 2021-01-03 (a Sunday) is in week 53 of 2020.
  assert.deepEqual(isoWeek(parseGoTime('2021-01-03T12:00:00Z')), { year: 2020, week: 53 });
  assert.deepEqual(isoWeek(parseGoTime('2024-12-30T12:00:00Z')), { year: 2025, week: 1 });
  const weekly = applyPolicy([snap('2021-01-04T00:00:00Z'), snap('2021-01-03T00:00:00Z'), snap('2020-12-28T00:00:00Z')], { weekly: 5 });
  assert.equal(weekly.keep.length, 2);
  const groups = planForget([snap('2024-01-01T00:00:00Z'), { ...snap('2024-01-02T00:00:00Z'), snapshot: { ...snap('2024-01-02T00:00:00Z').snapshot, paths: ['/etc'] } }], { last: 1 }, ['host', 'paths']);
  assert.equal(groups.length, 2, 'grouped by host and paths: each group keeps its last');
  assert.ok(groups.every((g) => g.decision.remove.length === 0));
});

test('tar: pax records count their own length; headers carry long and non-UTF-8 names, nanoseconds, a valid checksum', () => {
  assert.equal(paxRecord('path', Buffer.from('a')).toString(), '9 path=a\n');
  for (let n = 0; n < 1100; n++) {
    const r = paxRecord('x', Buffer.alloc(n, 0x61));
    assert.equal(parseInt(r.toString('latin1'), 10), r.length, `a ${n}-byte value`);
  }
  assert.equal(paxTime({ sec: 1700000000, nsec: 120000000, offsetMinutes: 0 }), '1700000000.12');
  assert.equal(paxTime({ sec: 5, nsec: 0, offsetMinutes: 0 }), '5');
  const name = Buffer.concat([Buffer.from('d/'.repeat(80)), Buffer.from([0xff, 0x0a]), Buffer.from('x')]);
  const h = tarHeader({ path: name, type: 'file', mode: 0o4755, uid: 3_000_000, gid: 1, size: 9, mtime: { sec: 1, nsec: 5, offsetMinutes: 0 } });
  assert.equal(h.length % 512, 0);
  const text = h.toString('latin1');
  assert.ok(text.includes('hdrcharset=BINARY'));
  assert.ok(h.includes(Buffer.concat([Buffer.from('path='), name, Buffer.from('\n')])));
  assert.ok(text.includes('mtime=1.000000005\n'));
  assert.ok(text.includes('uid=3000000\n'), 'a uid beyond the octal field goes to pax');
  for (let off = 0; off < h.length; off += 512) {
    const block = Buffer.from(h.subarray(off, off + 512));
    if (block.toString('latin1', 257, 262) !== 'ustar') continue;
    const stored = parseInt(block.toString('latin1', 148, 154), 8);
    block.fill(0x20, 148, 156);
    assert.equal(stored, block.reduce((a, b) => a + b, 0));
  }
});

test('--read-data-subset: n/t by the first byte of the pack id (as restic), x% and sizes at random', () => {
  assert.deepEqual(parseSubset('2/5'), { bucket: 2, of: 5 });
  assert.deepEqual(parseSubset('2.5%'), { percent: 2.5 });
  assert.deepEqual(parseSubset('10M'), { bytes: 10 * 2 ** 20 });
  assert.throws(() => parseSubset('6/5'), /1 ≤ n ≤ t/);
  assert.throws(() => parseSubset('lots'), /expected n\/t/);
  const packs = Array.from({ length: 256 }, (_, i) => ({ id: i.toString(16).padStart(2, '0') + 'f'.repeat(62), size: 1000 }));
  const parts = [1, 2, 3].map((n) => selectPacks(packs, { bucket: n, of: 3 }, () => 0));
  assert.equal(parts.flat().length, 256, 'the buckets cover every pack once');
  assert.equal(new Set(parts.flat()).size, 256);
  assert.ok(parts[0]!.every((id) => parseInt(id.slice(0, 2), 16) % 3 === 0));
  assert.equal(selectPacks(packs, { percent: 10 }, (n) => n - 1).length, 25);
  assert.equal(selectPacks(packs, { percent: 0.01 }, (n) => n - 1).length, 1, 'at least one pack');
  assert.equal(selectPacks(packs, { bytes: 5500 }, (n) => n - 1).length, 6);
});

test('the progress line shows the fraction, the rate and the time left; Go\'s file mode strings', () => {
  const line = renderProgress({ done: 50 * 2 ** 20, total: 200 * 2 ** 20, elapsedMs: 10_000, unit: 'bytes', width: 120, note: '3/9 files' });
  assert.match(line, /25\.0%/);
  assert.match(line, /50\.0 MiB \/ 200\.0 MiB/);
  assert.match(line, /5\.0 MiB\/s/);
  assert.match(line, /ETA 0:30/);
  assert.match(line, /3\/9 files/);
  assert.ok(renderProgress({ done: 1, elapsedMs: 1, unit: 'packs', width: 30 }).length < 30);
  assert.deepEqual(['', '40', '5', '20000', 'x', '12.5'].map((v) => progressPeriodMs({ HOTSTANDBY_PROGRESS_MS: v })), [250, 40, 250, 250, 250, 250], 'the redraw period: 250 ms unless 10–10000');
  assert.equal(goFileModeString(0o644), '-rw-r--r--');
  assert.equal(goFileModeString(2 ** 31 + 0o755), 'drwxr-xr-x');
  assert.equal(goFileModeString(2 ** 27 + 0o777), 'Lrwxrwxrwx');
});

test('--require-mount: the repository must be below the mount point and something mounted there', () => {
  const tables = (points: string[]) => ({ fstab: '', mountinfo: points.map((p, i) => `${i + 20} 1 8:1 / ${p} rw - ext4 /dev/x rw`).join('\n') });
  assert.match(requiredMountReason('/media/usb/repo', '/media/usb', tables(['/'])) ?? '', /nothing is mounted on \/media\/usb \(is the disk plugged in\?\)/);
  assert.equal(requiredMountReason('/media/usb/repo', '/media/usb', tables(['/', '/media/usb'])), undefined);
  assert.match(requiredMountReason('/srv/repo', '/media/usb', tables(['/media/usb'])) ?? '', /not below \/media\/usb/);
});
