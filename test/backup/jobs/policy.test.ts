import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCron } from '../../../src/backup/jobs/cron.js';
import { JobPolicy, type JobTiming } from '../../../src/backup/jobs/policy.js';

const at = (s: string) => Date.parse(s);
const HOUR = 3_600_000;

function daily(overrides: Partial<JobTiming> = {}): JobPolicy {
  return new JobPolicy({ schedule: parseCron('0 2 * * *'), zone: 'utc', role: 'master', missedAfterMs: HOUR, retryMs: 15 * 60_000, ...overrides });
}

/** Two nodes' policies and one repository (the latest snapshot time), on one fake wall clock. */
class Pair {
  now = at('2026-12-01T12:00:00Z');
  repoLatest: number | undefined = at('2026-12-01T02:00:05Z');
  readonly runs: Array<{ node: string; due: number; at: number }> = [];
  constructor(public a = daily(), readonly b = daily()) {}

  /** What a node's runner does with its decision; a started run completes at once unless `hold`. */
  step(node: 'a' | 'b', hold = false): string {
    const p = node === 'a' ? this.a : this.b;
    const d = p.decide(this.now);
    if (d.action === 'read-repositories') p.repositoriesRead(this.repoLatest);
    if (d.action === 'run') {
      p.started('run', d.due);
      this.runs.push({ node, due: d.due, at: this.now });
      if (!hold) this.finish(node, d.due);
    }
    return d.action;
  }

  finish(node: 'a' | 'b', due: number): void {
    const p = node === 'a' ? this.a : this.b;
    this.repoLatest = this.now;
    p.finished('run', due, { ok: true, snapshotTime: this.now });
  }
}

test('the job runs on the master only, once per due time', () => {
  const pair = new Pair();
  pair.a.roleChanged('MASTER', pair.now);
  pair.b.roleChanged('BACKUP', pair.now);
  assert.equal(pair.step('a'), 'read-repositories');
  assert.equal(pair.step('a'), 'wait', 'the latest snapshot is newer than today\'s 02:00');
  assert.equal(pair.step('b'), 'wait');
  pair.now = at('2026-12-02T02:00:00Z');
  assert.equal(pair.step('b'), 'wait', 'the backup never runs a master job');
  assert.equal(pair.step('a'), 'run');
  assert.equal(pair.step('a'), 'wait', 'done for this due time');
  pair.now += 10 * 60_000;
  assert.equal(pair.step('a'), 'wait');
  assert.deepEqual(pair.runs.map((r) => r.node), ['a']);
});

test('a job with role backup runs on the backup, and stops when that node becomes master', () => {
  const pair = new Pair(daily({ role: 'backup' }), daily({ role: 'backup' }));
  pair.a.roleChanged('MASTER', pair.now);
  pair.b.roleChanged('BACKUP', pair.now);
  pair.now = at('2026-12-02T02:00:00Z');
  assert.equal(pair.step('a'), 'wait');
  assert.equal(pair.step('b'), 'read-repositories');
  assert.equal(pair.step('b', true), 'run');
  pair.b.roleChanged('MASTER', pair.now);
  assert.equal(pair.b.decide(pair.now).action, 'abort');
});

test('a run due during a failover is made by the new master as soon as it holds the role', () => {
  const pair = new Pair();
  pair.a.roleChanged('MASTER', pair.now);
  pair.b.roleChanged('BACKUP', pair.now);
  pair.step('a');
  // a dies at 01:59:58; b takes over 3 s later, after the due time.
  pair.now = at('2026-12-02T02:00:01Z');
  assert.equal(pair.step('b'), 'wait', 'b is still backup');
  pair.now = at('2026-12-02T02:00:02Z');
  pair.b.roleChanged('MASTER', pair.now);
  assert.equal(pair.step('b'), 'read-repositories');
  const d = pair.b.decide(pair.now);
  assert.equal(d.action, 'run');
  assert.equal(d.action === 'run' && d.due, at('2026-12-02T02:00:00Z'));
  assert.match(d.reason, /due at 2026-12-02T02:00:00Z/);
});

test('the master killed mid-run: the new master runs the job again; the repository, not the node, remembers', () => {
  const pair = new Pair();
  pair.a.roleChanged('MASTER', pair.now);
  pair.b.roleChanged('BACKUP', pair.now);
  pair.step('a');
  pair.now = at('2026-12-02T02:00:00Z');
  assert.equal(pair.step('a', true), 'run'); // a's run never finishes: a is killed
  pair.now = at('2026-12-02T02:20:00Z');
  pair.b.roleChanged('MASTER', pair.now);
  assert.equal(pair.step('b'), 'read-repositories');
  assert.equal(pair.step('b'), 'run');
  assert.deepEqual(pair.runs.map((r) => r.node), ['a', 'b']);
  // a comes back as backup later: it does not run, and when it is master again nothing is due.
  pair.a = daily();
  pair.a.roleChanged('BACKUP', pair.now);
  assert.equal(pair.step('a'), 'wait');
  pair.a.roleChanged('MASTER', pair.now);
  pair.b.roleChanged('BACKUP', pair.now);
  assert.equal(pair.step('a'), 'read-repositories');
  assert.equal(pair.step('a'), 'wait', "b's snapshot counts");
});

test('a switchover just before the due time: only the new master runs', () => {
  const pair = new Pair();
  pair.a.roleChanged('MASTER', pair.now);
  pair.b.roleChanged('BACKUP', pair.now);
  pair.step('a');
  pair.now = at('2026-12-02T01:59:59Z');
  pair.a.roleChanged('BACKUP', pair.now);
  pair.b.roleChanged('MASTER', pair.now);
  pair.step('b');
  pair.now = at('2026-12-02T02:00:00Z');
  assert.equal(pair.step('a'), 'wait');
  assert.equal(pair.step('b'), 'run');
  assert.deepEqual(pair.runs.map((r) => r.node), ['b']);
});

test('a failed run is retried after retryMs, and not again once the next due time passes', () => {
  const p = daily();
  let now = at('2026-12-02T02:00:00Z');
  p.roleChanged('MASTER', now);
  p.repositoriesRead(at('2026-12-01T02:00:03Z'));
  const d = p.decide(now);
  assert.equal(d.action, 'run');
  p.started('run', at('2026-12-02T02:00:00Z'));
  now += 60_000;
  p.finished('run', at('2026-12-02T02:00:00Z'), { ok: false, at: now });
  assert.equal(p.decide(now + 60_000).action, 'wait');
  const retry = p.decide(now + 15 * 60_000);
  assert.equal(retry.action, 'run');
  assert.match(retry.reason, /retrying/);
});

test('missed-window alarm: raised by the role holder once the due time is missedAfter old, cleared by a snapshot', () => {
  const p = daily();
  let now = at('2026-12-02T02:30:00Z');
  p.roleChanged('MASTER', now);
  assert.equal(p.missed(now), undefined, 'not before the repositories were read');
  p.repositoriesRead(at('2026-12-01T02:00:03Z'));
  assert.equal(p.missed(now), undefined, 'within the hour after 02:00');
  now = at('2026-12-02T03:00:00Z');
  const alarm = p.missed(now);
  assert.ok(alarm);
  assert.equal(alarm.due, at('2026-12-02T02:00:00Z'));
  assert.match(alarm.message, /no successful snapshot since the run due at 2026-12-02T02:00:00Z \(latest: 2026-12-01T02:00:03Z\)/);
  p.started('run', alarm.due);
  p.finished('run', alarm.due, { ok: true, snapshotTime: now });
  assert.equal(p.missed(now), undefined);
  const backup = daily();
  backup.roleChanged('BACKUP', now);
  backup.repositoriesRead(undefined);
  assert.equal(backup.missed(now), undefined, 'the node without the role does not raise it');
});

test('a never-backed-up job is missed and runs at once on the master', () => {
  const p = daily();
  const now = at('2026-12-02T12:00:00Z');
  p.roleChanged('MASTER', now);
  p.repositoriesRead(undefined);
  assert.equal(p.decide(now).action, 'run');
  assert.match(p.missed(now)!.message, /latest: none/);
});

test('verification runs at its own due times after the role was gained, not as a catch-up', () => {
  const p = daily({ verify: parseCron('0 4 * * sun') });
  let now = at('2026-12-02T12:00:00Z'); // a Wednesday
  p.roleChanged('MASTER', now);
  p.repositoriesRead(at('2026-12-02T02:00:01Z'));
  assert.equal(p.decide(now).action, 'wait', "last Sunday's verification is not caught up");
  now = at('2026-12-06T04:00:00Z');
  p.repositoriesRead(at('2026-12-06T02:00:01Z'));
  const d = p.decide(now);
  assert.equal(d.action, 'verify');
  p.started('verify', at('2026-12-06T04:00:00Z'));
  assert.equal(p.decide(now).action, 'wait');
  p.finished('verify', at('2026-12-06T04:00:00Z'), { ok: true });
  assert.equal(p.decide(now + 60_000).action, 'wait', 'once per due time');
});
