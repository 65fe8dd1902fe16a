/**
 * The backup jobs with real worker processes and repositories, on a wall clock the test sets:
 * a job runs on the master once due, its snapshot is restic's (restic checks it clean and lists
 * it), a job with role backup waits while its instance is MASTER and runs once it is BACKUP, a command's stdout becomes one file, a failing command leaves no snapshot and raises the
 * failure alarm, a role change mid-run stops the worker, and snapshots can be browsed, restored
 * file by file and downloaded through the same subsystem the API serves.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalBackend } from '../../../src/backup/backend/local.js';
import { Backups, type BackupEvent } from '../../../src/backup/jobs/backups.js';
import { Repository } from '../../../src/backup/repo/repository.js';
import { WorkerProcess } from '../../../src/backup/jobs/worker-client.js';
import type { BackupJobConfig } from '../../../src/config/backups.js';
import { waitFor } from '../../../src/lab/index.js';
import { collectingLog, initRepository, realTime, restic, resticAvailable } from './support.js';

const scratch = mkdtempSync(join(tmpdir(), 'hs-backup-jobs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function job(name: string, repos: Array<{ repo: string; passwordFile: string }>, more: Partial<BackupJobConfig> = {}): BackupJobConfig {
  return {
    name,
    follows: { kind: 'instance', name: 'web' },
    role: 'master',
    paths: [],
    excludes: [],
    stdinFilename: `${name}.out`,
    repositories: repos,
    schedule: '0 2 * * *',
    timezone: 'utc',
    missedAfterMs: 3_600_000,
    retryMs: 900_000,
    tags: [],
    source: { file: 't.yaml', line: 1 },
    ...more,
  };
}

function subsystem(jobs: BackupJobConfig[], wall: { now: number }) {
  const events: BackupEvent[] = [];
  const log = collectingLog();
  const backups = new Backups(
    { jobs },
    {
      clock: realTime,
      timers: realTime,
      wallClock: () => wall.now,
      log,
      event: (e) => events.push(e),
      startWorker: (name) => new WorkerProcess(log, name),
      resolveUser: async () => ({ uid: 0, gid: 0 }),
      syncGroups: [],
    },
  );
  return { backups, events, log };
}

const status = (b: Backups, name: string) => b.status().jobs.find((j) => j.name === name)!;

test('a due job runs on the master into every repository; restic checks them clean; browse, restore and download a file', { timeout: 120_000 }, async (t) => {
  const data = join(scratch, 'data');
  mkdirSync(join(data, 'webapps', 'ROOT'), { recursive: true });
  writeFileSync(join(data, 'webapps', 'ROOT', 'index.jsp'), 'hello from tomcat\n');
  writeFileSync(join(data, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  const r1 = await initRepository(scratch, 'repo1');
  const r2 = await initRepository(scratch, 'repo2');
  const wall = { now: Date.parse('2026-12-20T01:59:00Z') };
  writeFileSync(join(data, 'scratch.tmp'), 'not wanted\n');
  const { backups, events } = subsystem([job('tomcat', [r1, r2], { paths: [data], excludes: ['*.tmp'], retention: { keepLast: 1, prune: true } })], wall);
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('web', 'BACKUP', 'startup');
  await waitFor(() => status(backups, 'tomcat').decision.startsWith('not master'), { description: 'waiting as backup' });
  backups.instanceChanged('web', 'MASTER', 'master-down timer expired');
  // Never backed up: it runs at once (yesterday's 02:00 is due) ...
  await waitFor(() => status(backups, 'tomcat').lastRun, { description: 'first run', timeoutMs: 60_000 });
  const first = status(backups, 'tomcat').lastRun!;
  assert.equal(first.ok, true, first.error);
  assert.equal(first.snapshots.length, 2);
  // ... and again when today's 02:00 comes.
  wall.now = Date.parse('2026-12-20T02:00:00Z');
  await waitFor(() => status(backups, 'tomcat').lastRun !== first && status(backups, 'tomcat').lastRun, { description: 'second run', timeoutMs: 60_000 });
  const s = status(backups, 'tomcat');
  assert.equal(s.lastRun!.ok, true, s.lastRun!.error);
  assert.equal(s.lastRun!.trigger, 'schedule');
  assert.equal(s.nextRun, '2026-12-21T02:00:00.000Z');
  assert.deepEqual(s.alarms, []);
  assert.ok(events.some((e) => /run done: snapshot [0-9a-f]{8} in .*repo1, snapshot [0-9a-f]{8} in .*repo2/.test(e.message)), JSON.stringify(events));
  assert.equal(s.lastRun!.notes.length, 2, 'a note per repository');
  for (const note of s.lastRun!.notes) assert.match(note, /^retention: 1 snapshots forgotten, 1 kept, pruned \(\d+ packs deleted, \d+ repacked\)$/, 'keepLast 1 in each repository');

  if (resticAvailable()) {
    for (const r of [r1, r2]) {
      restic(r, ['check', '--read-data']);
      const snaps = JSON.parse(restic(r, ['snapshots', '--json'])) as Array<{ tags: string[]; paths: string[] }>;
      assert.equal(snaps.length, 1);
      assert.deepEqual(snaps[0]!.tags, ['hotstandby-job:tomcat']);
      assert.deepEqual(snaps[0]!.paths, [data]);
    }
  }

  assert.equal((await backups.snapshots('tomcat', 1)).length, 1);
  const snapshots = await backups.snapshots('tomcat', 0);
  assert.equal(snapshots.length, 1);
  const latest = snapshots.at(-1)!.id;
  assert.deepEqual((await backups.tree('tomcat', 0, latest, data)).entries.map((e) => e.name), ['big.bin', 'webapps'], 'the excluded file is not in the snapshot');
  const root = await backups.tree('tomcat', 0, latest.slice(0, 8), `${data}/webapps`);
  assert.deepEqual(root.entries.map((e) => [e.name, e.type]), [['ROOT', 'dir']]);
  await assert.rejects(backups.tree('tomcat', 0, latest, `${data}/nothing`), /No .*nothing in the snapshot/);
  await assert.rejects(backups.tree('tomcat', 0, 'ffffffff', '/'), /No snapshot with id 'ffffffff'/);

  const target = join(scratch, 'restore');
  const op = backups.restore('tomcat', 0, latest, `${data}/webapps/ROOT/index.jsp`, target, 'test');
  await waitFor(() => backups.status().operations.find((o) => o.id === op.id)?.state !== 'running', { description: 'restore' });
  const done = backups.status().operations.find((o) => o.id === op.id)!;
  assert.equal(done.state, 'done', done.error);
  assert.equal(readFileSync(join(target, 'index.jsp'), 'utf8'), 'hello from tomcat\n');
  const again = backups.restore('tomcat', 0, latest, `${data}/webapps/ROOT/index.jsp`, target, 'test');
  await waitFor(() => backups.status().operations.find((o) => o.id === again.id)?.state !== 'running', { description: 'second restore' });
  assert.match(backups.status().operations.find((o) => o.id === again.id)!.error ?? '', /EEXIST/, 'an existing file is never overwritten');

  const dirTarget = join(scratch, 'restore-dir');
  const dirOp = backups.restore('tomcat', 0, latest, `${data}/webapps/`, dirTarget, 'test');
  await waitFor(() => backups.status().operations.find((o) => o.id === dirOp.id)?.state !== 'running', { description: 'directory restore' });
  assert.equal(backups.status().operations.find((o) => o.id === dirOp.id)!.state, 'done');
  assert.equal(readFileSync(join(dirTarget, 'webapps', 'ROOT', 'index.jsp'), 'utf8'), 'hello from tomcat\n', 'a directory lands at TARGET/NAME with what is below it');

  const chunks: Buffer[] = [];
  const got = await backups.download('tomcat', 0, latest, `${data}/big.bin`, async (b) => void chunks.push(b));
  assert.equal(got.size, 3 * 1024 * 1024);
  assert.ok(Buffer.concat(chunks).equals(readFileSync(join(data, 'big.bin'))));
});

test('a job with role backup (backing up on the replica) does not run while its instance is MASTER, and runs once it is BACKUP', { timeout: 120_000 }, async (t) => {
  const data = join(scratch, 'replica-data');
  mkdirSync(data);
  writeFileSync(join(data, 'base.dat'), 'replica copy\n');
  const r = await initRepository(scratch, 'replica');
  const today = Date.parse('2026-12-20T02:00:30Z');
  let wallReads = 0;
  const wall = {
    get now() {
      wallReads++;
      return today;
    },
  };
  const { backups } = subsystem([job('replica', [r], { role: 'backup', paths: [data] })], wall);
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('web', 'MASTER', 'startup as address owner');
  // Due (today's 02:00, never backed up), but this node is the master: the subsystem's ticks
  // (each reads the wall clock) decide to wait, and neither run nor read the repositories.
  const seen = wallReads;
  await waitFor(() => wallReads >= seen + 3, { description: 'three ticks as master', timeoutMs: 30_000 });
  const onMaster = status(backups, 'replica');
  assert.match(onMaster.decision, /^not backup \(MASTER\): the job runs on the backup/);
  assert.equal(onMaster.running, undefined, 'no run on the master');
  assert.equal(onMaster.lastRun, undefined, 'no run on the master');
  assert.throws(() => backups.runNow('replica', 'admin'), /runs on the backup; this node is MASTER/);
  assert.equal((await backups.snapshots('replica', 0)).length, 0);

  backups.instanceChanged('web', 'BACKUP', 'higher priority advert');
  const ran = await waitFor(() => status(backups, 'replica').lastRun, { description: 'the run on the backup', timeoutMs: 60_000 });
  assert.equal(ran.ok, true, ran.error);
  assert.equal(ran.trigger, 'schedule');
  const snaps = await backups.snapshots('replica', 0);
  assert.equal(snaps.length, 1);
  assert.deepEqual(snaps[0]!.paths, [data]);
  if (resticAvailable()) {
    restic(r, ['check', '--read-data']);
    const theirs = JSON.parse(restic(r, ['snapshots', '--json'])) as Array<{ id: string; tags: string[] }>;
    assert.deepEqual(theirs.map((s) => [s.id, s.tags]), [[snaps[0]!.id, ['hotstandby-job:replica']]]);
    assert.equal(restic(r, ['dump', 'latest', `${data}/base.dat`]), 'replica copy\n');
  }
});

test("a command's stdout is one file; a failing command leaves no snapshot and raises the failure alarm", { timeout: 120_000 }, async (t) => {
  const r = await initRepository(scratch, 'stream');
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const good = job('dump', [r], { command: `sh -c "printf 'row 1\\nrow 2\\n'"`, stdinFilename: 'dump.sql' });
  const bad = job('bad', [r], { command: `sh -c "echo partial; echo 'pg_dump: connection refused' >&2; exit 3"` });
  const { backups, events } = subsystem([good, bad], wall);
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('web', 'MASTER', 'startup as address owner');
  await waitFor(() => status(backups, 'dump').lastRun && status(backups, 'bad').lastRun, { description: 'both ran', timeoutMs: 60_000 });
  const d = status(backups, 'dump').lastRun!;
  assert.equal(d.ok, true, d.error);
  const b = status(backups, 'bad');
  assert.equal(b.lastRun!.ok, false);
  assert.match(b.lastRun!.error!, /source command sh failed \(exit 3\): pg_dump: connection refused; no snapshot written/);
  assert.ok(b.alarms.some((a) => a.kind === 'failed'));
  assert.ok(events.some((e) => /backup job bad: failed: .*exit 3/.test(e.message)));
  const snaps = await backups.snapshots('dump', 0);
  assert.equal(snaps.length, 1, 'the failed job wrote no snapshot');
  assert.deepEqual(snaps[0]!.paths, ['/dump.sql']);
  assert.equal((await backups.snapshots('bad', 0)).length, 0);
  const chunks: Buffer[] = [];
  await backups.download('dump', 0, snaps[0]!.id, '/dump.sql', async (c) => void chunks.push(c));
  assert.equal(Buffer.concat(chunks).toString(), 'row 1\nrow 2\n');
  if (resticAvailable()) {
    restic(r, ['check', '--read-data']);
    assert.equal(restic(r, ['dump', 'latest', '/dump.sql']), 'row 1\nrow 2\n', restic(r, ['ls', '--json', 'latest']));
  }
});

test('losing the role mid-run stops the worker and its command: no snapshot, no alarm; the run now action is refused on the backup', { timeout: 60_000 }, async (t) => {
  const r = await initRepository(scratch, 'abort');
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  const marker = join(scratch, 'slow-pid');
  const slow = job('slow', [r], { command: `sh -c "echo $$ > ${marker}; exec sleep 60"` });
  const { backups } = subsystem([slow], wall);
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('web', 'MASTER', 'startup');
  await waitFor(() => status(backups, 'slow').running && readFileSync(marker, 'utf8').trim(), { description: 'the command runs', timeoutMs: 30_000 });
  const pid = Number(readFileSync(marker, 'utf8'));
  assert.throws(() => backups.runNow('slow', 'admin'), /already running/);
  backups.instanceChanged('web', 'BACKUP', 'higher priority advert');
  await waitFor(() => status(backups, 'slow').lastRun, { description: 'stopped' });
  const s = status(backups, 'slow');
  assert.equal(s.lastRun!.ok, false);
  assert.match(s.lastRun!.error!, /no longer holds the master role/);
  assert.ok(!s.alarms.some((a) => a.kind === 'failed'), 'a stop for a role change is not a failure');
  await waitFor(() => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, { description: 'the command was killed with the worker' });
  assert.throws(() => backups.runNow('slow', 'admin'), /runs on the master; this node is BACKUP/);
  assert.equal((await backups.snapshots('slow', 0)).length, 0);
});

test('scheduled verification: sampled files read back and compared with the live ones; a silent change on disk is reported', { timeout: 120_000 }, async (t) => {
  const data = join(scratch, 'verify-data');
  mkdirSync(data, { recursive: true });
  for (let i = 0; i < 5; i++) {
    writeFileSync(join(data, `f${i}`), `file ${i}\n`.repeat(1000 + i));
    utimesSync(join(data, `f${i}`), 1_700_000_000, 1_700_000_000); // whole seconds: the tamperer below can put them back
  }
  const r = await initRepository(scratch, 'verify');
  const wall = { now: Date.parse('2026-12-20T02:00:30Z') };
  // Yearly: no run is due when the verifications come (a run would back up the change first).
  const { backups, events } = subsystem([job('v', [r], { paths: [data], schedule: '0 2 1 1 *', verify: { schedule: '0 4 * * *', readDataSubset: '5%', sampleFiles: 10 } })], wall);
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('web', 'MASTER', 'startup');
  await waitFor(() => status(backups, 'v').lastRun, { description: 'run', timeoutMs: 60_000 });
  wall.now = Date.parse('2026-12-20T04:00:10Z');
  const first = await waitFor(() => status(backups, 'v').lastVerify, { description: 'verification', timeoutMs: 60_000 });
  assert.equal(first.ok, true, first.problems.join('; '));
  assert.match(first.summary, /5 files sampled, 5 compared with the live files, 0 changed since/);
  assert.match(first.summary, /check --read-data-subset 5%: no errors/);
  // Bit rot or tampering that keeps size and mtime: the next verification finds it.
  const victim = join(data, 'f2');
  writeFileSync(victim, readFileSync(victim, 'utf8').replace('file 2', 'FILE 2'));
  utimesSync(victim, 1_700_000_000, 1_700_000_000);
  wall.now = Date.parse('2026-12-21T04:00:10Z');
  const second = (await waitFor(() => (status(backups, 'v').lastVerify !== first ? status(backups, 'v').lastVerify : undefined), { description: 'second verification', timeoutMs: 60_000 }))!;
  assert.equal(second.ok, false);
  assert.match(second.problems.join('\n'), /f2: the restored bytes differ from the live file/);
  assert.ok(status(backups, 'v').alarms.some((a) => a.kind === 'verify'));
  assert.ok(events.some((e) => /verification failed: .*f2/.test(e.message)));
});

test("retention's prune options reach the job's prune: repackUncompressed compresses the blobs stored uncompressed, a plain prune leaves them", { timeout: 180_000 }, async (t) => {
  const data = join(scratch, 'prune-opts');
  mkdirSync(data);
  // Random bytes do not compress: stored uncompressed. A small file that changes: little unused data.
  writeFileSync(join(data, 'random.bin'), randomBytes(2 * 1024 * 1024));
  writeFileSync(join(data, 'small.txt'), 'version 1\n');
  const compressing = await initRepository(scratch, 'prune-compress');
  const plain = await initRepository(scratch, 'prune-plain');
  const wall = { now: Date.parse('2026-12-20T01:59:00Z') };
  const { backups } = subsystem(
    [
      job('compress', [compressing], { paths: [data], retention: { keepLast: 1, prune: true, repackUncompressed: true, maxUnused: '0' } }),
      job('plain', [plain], { paths: [data], retention: { keepLast: 1, prune: true } }),
    ],
    wall,
  );
  t.after(() => backups.close());
  backups.start();
  backups.instanceChanged('web', 'MASTER', 'startup');
  await waitFor(() => status(backups, 'compress').lastRun && status(backups, 'plain').lastRun, { description: 'first runs', timeoutMs: 90_000 });
  const firsts = [status(backups, 'compress').lastRun, status(backups, 'plain').lastRun];
  writeFileSync(join(data, 'small.txt'), 'version 2\n');
  wall.now = Date.parse('2026-12-20T02:00:00Z');
  await waitFor(() => status(backups, 'compress').lastRun !== firsts[0] && status(backups, 'plain').lastRun !== firsts[1], { description: 'second runs', timeoutMs: 90_000 });
  const [c, p] = [status(backups, 'compress').lastRun!, status(backups, 'plain').lastRun!];
  assert.equal(c.ok, true, c.error);
  assert.equal(p.ok, true, p.error);
  assert.match(c.notes[0]!, /^retention: 1 snapshots forgotten, 1 kept, pruned \(\d+ packs deleted, [1-9]\d* repacked, [1-9]\d* blobs compressed\)$/);
  assert.doesNotMatch(p.notes[0]!, /compressed/);
  const uncompressed = async (r: { repo: string }) => {
    const repo = await Repository.open(new LocalBackend(r.repo), 'secret');
    await repo.loadIndex();
    return [...repo.indexedBlobs()].filter((b) => b.uncompressedLength === undefined).length;
  };
  assert.equal(await uncompressed(compressing), 0, 'every blob compressed after the prune with repackUncompressed');
  assert.ok((await uncompressed(plain)) > 0, 'the plain prune keeps what it need not repack');
  if (resticAvailable()) {
    restic(compressing, ['check', '--read-data']);
    assert.match(restic(compressing, ['prune', '--dry-run', '-v', '--repack-uncompressed']), /to repack:\s+0 packs/, 'restic finds nothing uncompressed');
  }
});
