/**
 * The failover checker on crafted histories: a clean failover passes; a lost acknowledgement, a
 * stale read, a read from a standby, a stale primary on an older timeline and a failed write that
 * happened each fail, naming the operation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory } from '../../src/lab/jepsen/checker.js';
import type { CheckOp, Op, ReadOp, ServerStamp, WriteOp } from '../../src/lab/jepsen/history.js';
import { parseOpLine, rowId } from '../../src/lab/jepsen/history.js';
import { firstWriteAfter, writeThroughput } from '../../src/lab/jepsen/timings.js';
import { Workload } from '../../src/lab/jepsen/workload.js';

const A1: ServerStamp = { node: 'a', inRecovery: false, timeline: 1 };
const B2: ServerStamp = { node: 'b', inRecovery: false, timeline: 2 };
const B_STANDBY: ServerStamp = { node: 'b', inRecovery: true, timeline: 0 };

function write(writer: string, n: number, at: number, outcome: WriteOp['outcome'], server?: ServerStamp): WriteOp {
  return { kind: 'write', writer, n, id: rowId(writer, n), invokedAt: at, completedAt: at + 5, outcome, ...(server ? { server } : {}), ...(outcome === 'ok' ? {} : { error: 'ECONNRESET' }) };
}
function read(writer: string, at: number, server: ServerStamp, maxByWriter: Record<string, number>): ReadOp {
  return { kind: 'read', writer, invokedAt: at, completedAt: at + 2, outcome: 'ok', server, maxByWriter };
}
function check(label: string, at: number, server: ServerStamp, ids: string[]): CheckOp {
  return { kind: 'check', writer: 'checker', label, invokedAt: at, completedAt: at + 10, outcome: 'ok', server, ids };
}

/** Two writers; a fails at t=100 (one write unknown), b takes over on timeline 2. */
function cleanFailover(): Op[] {
  return [
    write('w1', 1, 10, 'ok', A1),
    write('w2', 1, 12, 'ok', A1),
    read('w1', 20, A1, { w1: 1, w2: 1 }),
    write('w1', 2, 95, 'unknown'),
    write('w2', 2, 99, 'fail'),
    write('w1', 3, 300, 'ok', B2),
    write('w2', 3, 301, 'ok', B2),
    read('w2', 320, B2, { w1: 3, w2: 3 }),
    check('after failover 1', 400, B2, ['w1-1', 'w2-1', 'w1-2', 'w1-3', 'w2-3']),
    check('final', 500, B2, ['w1-1', 'w2-1', 'w1-2', 'w1-3', 'w2-3']),
  ];
}

test('checkHistory() accepts a failover that kept every acknowledged write and served only from the current primary', () => {
  const result = checkHistory(cleanFailover());
  assert.deepEqual(result.violations, []);
  assert.equal(result.valid, true);
  assert.deepEqual(result.writes, { ok: 4, fail: 1, unknown: 1, warned: 0 });
  assert.equal(result.unknownCommitted, 1, 'the unknown write w1-2 turned out committed');
  assert.equal(result.checks, 2);
});

test('checkHistory() names a lost acknowledged write', () => {
  const history = cleanFailover().map((op) => (op.kind === 'check' ? { ...op, ids: (op.ids ?? []).filter((id) => id !== 'w2-1') } : op));
  const result = checkHistory(history);
  assert.equal(result.valid, false);
  assert.deepEqual(result.lostAcknowledged, ['w2-1']);
  assert.equal(result.violationCounts['lost-acknowledged'], 1, 'listed once though two checks miss it');
  assert.match(result.violations[0]?.message ?? '', /write w2-1 acknowledged by a \(timeline 1\) .* missing from check "after failover 1"/);
});

test('checkHistory() does not require writes acknowledged after the check began', () => {
  const history: Op[] = [write('w1', 1, 10, 'ok', A1), check('final', 12, A1, []), write('w1', 2, 13, 'ok', A1)];
  assert.equal(checkHistory(history).valid, true);
});

test('checkHistory() flags a stale read: an acknowledged write invisible to a later read', () => {
  // The old primary a still answers a read after b acknowledged w1-3 (split brain on the read path).
  const history = [...cleanFailover(), read('w2', 330, A1, { w1: 1, w2: 2 })];
  const result = checkHistory(history);
  assert.equal(result.valid, false);
  assert.equal(result.violationCounts['stale-read'], 2, 'behind on both writers');
  assert.match(result.violations.find((v) => v.kind === 'stale-read')?.message ?? '', /read by w2 on a \(timeline 1\) .* saw w1's writes up to 1, but w1-3 had been acknowledged by b \(timeline 2\)/);
  assert.equal(result.violationCounts['older-timeline'], 1, 'and it is an older timeline than one already seen');
});

test('checkHistory() flags a write acknowledged by the old primary after the new one answered', () => {
  const history = [...cleanFailover(), write('w2', 4, 310, 'ok', A1)];
  const result = checkHistory(history);
  assert.equal(result.valid, false);
  assert.match(result.violations.map((v) => v.message).join('\n'), /write by w2 began at .* acknowledged by a \(timeline 1\) on timeline 1, after b \(timeline 2\) had answered on timeline 2/);
});

test('checkHistory() flags an operation answered by a standby', () => {
  const result = checkHistory([...cleanFailover(), read('w1', 450, B_STANDBY, { w1: 3, w2: 3 })]);
  assert.deepEqual(Object.keys(result.violationCounts), ['served-by-standby']);
});

test('checkHistory() flags a failed write that is present', () => {
  const history = cleanFailover().map((op) => (op.kind === 'check' ? { ...op, ids: [...(op.ids ?? []), 'w2-2'] } : op));
  const result = checkHistory(history);
  assert.deepEqual(Object.keys(result.violationCounts), ['failed-present']);
  assert.match(result.violations[0]?.message ?? '', /write w2-2 failed \(ECONNRESET\) but is present/);
});

test('checkHistory() lists at most 20 violations of a kind and counts them all', () => {
  const history: Op[] = [];
  for (let n = 1; n <= 50; n++) history.push(write('w1', n, n, 'ok', A1));
  history.push(check('final', 1000, B2, []));
  const result = checkHistory(history);
  assert.equal(result.violationCounts['lost-acknowledged'], 50);
  assert.equal(result.lostAcknowledged.length, 50);
  assert.equal(result.violations.length, 20);
});

test('firstWriteAfter() counts from the fault to the first acknowledgement of a write begun after it', () => {
  const history = cleanFailover();
  assert.equal(firstWriteAfter({ kind: 'kill', at: 100 }, history), 205); // w1-3 invoked 300, acked 305
  assert.equal(firstWriteAfter({ kind: 'kill', at: 1000 }, history), undefined);
  assert.equal(writeThroughput(history, 0, 1000), 4);
});

test('parseOpLine() reads the writer process lines and ignores others', () => {
  const op = write('w1', 1, 10, 'ok', A1);
  assert.deepEqual(parseOpLine(JSON.stringify(op)), op);
  assert.equal(parseOpLine('{"ready":true}'), undefined);
  assert.equal(parseOpLine('{"kind": broken'), undefined);
});

test('Workload.firstAckAfter() answers the first acknowledgement after the fault, also when asked after a hold', async () => {
  // The rig asks only after a split's 8 s hold (and a pause's 2 s): by then later writes were
  // acknowledged too, and the newest of them is not the time to the first write.
  let feed: (line: string) => void = () => undefined;
  const process = { onLine: (listener: (line: string) => void) => (feed = listener, () => undefined) };
  const workload = new (Workload as unknown as new (p: typeof process) => Workload)(process);
  const ops: Op[] = [write('w1', 1, 500, 'ok', A1), write('w1', 2, 1000, 'unknown'), write('w2', 1, 1200, 'ok', B2), write('w1', 3, 4000, 'ok', B2), write('w2', 2, 7900, 'ok', B2)];
  for (const op of ops) feed(JSON.stringify(op));
  assert.equal(workload.history.length, ops.length);
  assert.equal(await workload.firstAckAfter(900, 1000), 1205);
  assert.equal(await workload.firstAckAfter(3000, 1000), 4005);
});

test('checkHistory() checks a bench-sized history (4 writers, 400,000 writes, 80,000 reads) and still finds its one stale read', { timeout: 120_000 }, () => {
  // The stale-read check used to walk every earlier write of each writer for every read:
  // quadratic, so a 30-fault bench run (about 1 M writes) never finished its check.
  const writers = ['w1', 'w2', 'w3', 'w4'];
  const history: Op[] = [];
  const highest: Record<string, number> = {};
  for (let n = 1; n <= 100_000; n++) {
    for (const [i, writer] of writers.entries()) history.push(write(writer, n, n * 10 + i, 'ok', A1));
    // A read at each n (5 in 4 writes' worth of time) sees everything acknowledged before it.
    for (const writer of writers) highest[writer] = n - 1;
    if (n % 5 !== 0) history.push(read('r', n * 10 + 4, A1, { ...highest }));
  }
  const stale = { w1: 100_000, w2: 100_000, w3: 99_000, w4: 100_000 };
  history.push(read('r', 1_000_100, A1, stale));
  const result = checkHistory(history);
  assert.equal(result.writes.ok, 400_000);
  assert.equal(result.reads, 80_001);
  assert.equal(result.violationCounts['stale-read'], 1);
  assert.match(result.violations[0]?.message ?? '', /saw w3's writes up to 99000, but w3-100000 had been acknowledged/);
});
