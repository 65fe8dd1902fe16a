/** Failover timelines from the daemons' and PostgreSQL's logs (src/lab/pgfail/timeline.ts), on lines as the daemon writes them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { breakdown, daemonEvents, etcdEvents, formatBreakdown, formatTimeline, mergeCopies, postgresEvents, window } from '../../src/lab/pgfail/timeline.js';

// Lines from a power-off in the lab (hotstandby-b.log), trimmed.
const DAEMON_B = [
  '# 2026-12-03T13:39:48.192Z in hs-b: /usr/bin/node bin/hotstandby run',
  '{"level":"info","time":"2026-12-03T13:39:54.008Z","subsystem":"resources","resource":"db","msg":"healthy, eligible: standby on timeline 1, streaming"}',
  '{"level":"info","time":"2026-12-03T13:40:00.323Z","instance":"VI_1","reason":"master-down timer expired","msg":"BACKUP → MASTER"}',
  '{"level":"info","time":"2026-12-03T13:40:00.323Z","subsystem":"resources","follows":"instance VI_1","resources":["db"],"msg":"resources follow master"}',
  '{"level":"warn","time":"2026-12-03T13:40:01.359Z","operation":"promote","peer":"unreachable","msg":"Promoting without a synchronous standby until the peer streams again (the witness recorded it)"}',
  '{"level":"info","time":"2026-12-03T13:40:01.428Z","operation":"promote","timeline":2,"ms":1071,"eligibilityMs":998,"claimMs":4,"syncNamesMs":7,"slotMs":3,"pgPromoteMs":53,"viewMs":6,"msg":"Promoted to primary"}',
  '{"level":"info","time":"2026-12-03T13:40:01.429Z","operation":"promote","durationMs":1104.37,"msg":"promote succeeded in 1104 ms"}',
  '{"level":"info","time":"2026-12-03T13:40:01.429Z","subsystem":"resources","follows":"instance VI_1","msg":"VIPs allowed: resources promoted"}',
  'not json {',
].join('\n');

const PG_B = [
  '2026-12-03 13:40:01.366 UTC [30673] LOG:  received promote request',
  '2026-12-03 13:40:01.370 UTC [30673] LOG:  redo is not required',
  '2026-12-03 13:40:01.415 UTC [30667] LOG:  database system is ready to accept connections',
].join('\n');

const FAULT = Date.parse('2026-12-03T13:40:00.000Z');
const ACK = Date.parse('2026-12-03T13:40:01.600Z');

test('daemonEvents() keeps the transitions, the promotion phases back from the line\'s time, the VIP and warnings', () => {
  const events = daemonEvents('b', DAEMON_B);
  const what = events.map((e) => e.what);
  assert.deepEqual(what, [
    'BACKUP → MASTER (master-down timer expired)',
    'Promoting without a synchronous standby until the peer streams again (the witness recorded it)',
    'promote: start (witness record read, peer asked)',
    'promote: eligible (998 ms)',
    'promote: witness CAS won (4 ms)',
    'promote: synchronous_standby_names set (7 ms)',
    "promote: peer's slot made (in recovery) (3 ms)",
    'promote: pg_promote done (out of recovery) (53 ms)',
    'promote: view read, knowledge saved (6 ms)',
    'Promoted to primary (1071 ms)',
    'promote succeeded in 1104 ms',
    'VIP added (VIPs allowed: resources promoted)',
  ]);
  const start = events.find((e) => e.what.startsWith('promote: start'));
  assert.equal(start?.at, Date.parse('2026-12-03T13:40:01.428Z') - 1071);
  assert.equal(events.find((e) => e.what.startsWith('promote: eligible'))?.at, (start?.at ?? 0) + 998);
});

test('postgresEvents() reads the %m stamps (UTC) of the lines about the promotion only', () => {
  const events = postgresEvents('b', PG_B);
  assert.deepEqual(events.map((e) => [e.at - FAULT, e.what]), [
    [1366, 'postgres: [30673] LOG:  received promote request'],
    [1415, 'postgres: [30667] LOG:  database system is ready to accept connections'],
  ]);
});

test('breakdown() splits fault → first write into detection, promotion phases, VIP and client', () => {
  const events = [...daemonEvents('b', DAEMON_B), ...postgresEvents('b', PG_B), { at: FAULT + 10, host: 'a', what: 'BACKUP → MASTER (other node)' }];
  assert.deepEqual(breakdown(events, 'b', FAULT, ACK), {
    detectMs: 323, toPromoteMs: 34, eligibilityMs: 998, claimMs: 4, syncNamesMs: 7, slotMs: 3, pgPromoteMs: 53, viewMs: 6, toVipMs: 1, clientMs: 171,
  });
  // Settled on a after flapping back: the takeover counted is still b's, the first to add the VIP.
  assert.equal(breakdown(events, 'a', FAULT, ACK).eligibilityMs, 998);
  assert.equal(formatBreakdown(breakdown([], 'b', FAULT, undefined)), 'detect ? · →promote ? · eligibility ? · CAS ? · syncNames ? · slot ? · pg_promote ? · view ? · →VIP ? · client ?');
});

test('formatTimeline() lists the events of the window in time order, ms from the fault', () => {
  const text = formatTimeline([...daemonEvents('b', DAEMON_B), ...postgresEvents('b', PG_B)], FAULT, ACK);
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^ +\+0 ms {2}rig {4}fault$/);
  assert.match(lines[1] ?? '', /^ +\+323 ms {2}b {6}BACKUP → MASTER/);
  assert.match(lines.at(-1) ?? '', /^ +\+1600 ms {2}rig {4}first acknowledged write through the VIP$/);
  assert.ok(!text.includes('healthy, eligible'), 'events before the window are left out');
  assert.deepEqual(window([{ at: 5, host: 'x', what: 'late' }, { at: 1, host: 'x', what: 'early' }], 0, 4).map((e) => e.what), ['early']);
});

test('mergeCopies() makes one event of a line a rewound node\'s log repeats from its peer\'s', () => {
  const merged = mergeCopies([...postgresEvents('a', PG_B), ...postgresEvents('b', PG_B), { at: FAULT, host: 'a', what: 'only a' }]);
  assert.deepEqual(merged.map((e) => `${e.host} ${e.what}`), [
    'a/b postgres: [30673] LOG:  received promote request',
    'a/b postgres: [30667] LOG:  database system is ready to accept connections',
    'a only a',
  ]);
});

test('etcdEvents() keeps leadership, election and slow-request lines with their ts stamps', () => {
  const text = [
    '{"level":"info","ts":"2026-12-03T13:40:01.100Z","caller":"raft/raft.go:923","msg":"8894d8fc9bc902ba became leader at term 3"}',
    '{"level":"warn","ts":"2026-12-03T13:40:01.351Z","caller":"etcdserver/util.go:167","msg":"apply request took too long","took":"690.896293ms","error":"etcdserver: leader changed"}',
    '{"level":"info","ts":"2026-12-03T13:40:01.400Z","caller":"embed/serve.go:191","msg":"serving client traffic insecurely"}',
  ].join('\n');
  assert.deepEqual(etcdEvents('w', text).map((e) => [e.at - FAULT, e.what]), [
    [1100, 'etcd: 8894d8fc9bc902ba became leader at term 3'],
    [1351, 'etcd: apply request took too long (took 690.896293ms, etcdserver: leader changed)'],
  ]);
});
