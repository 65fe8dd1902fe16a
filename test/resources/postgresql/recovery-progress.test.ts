/** Why a standby is not readable yet, from pg_controldata, process titles and its log (recovery-progress.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNotReadableYet, lastServerLine, notReadableReason, parseControlData, recoveryTitles, RecoveryWatch } from '../../../src/resources/postgresql/recovery-progress.js';

// pg_controldata 15 of a standby stuck before consistency (the lab test's, trimmed).
const CONTROL = `pg_control version number:            1300
Database cluster state:               in archive recovery
Latest checkpoint location:           0/6007530
Latest checkpoint's REDO location:    0/60074F8
Latest checkpoint's TimeLineID:       2
Minimum recovery ending location:     0/60075A8
Min recovery ending loc's timeline:   2
Backup start location:                0/0
Backup end location:                  0/0
End-of-backup record required:        no
`;

test('parseControlData() reads the state, the checkpoint and the minimum recovery ending location', () => {
  assert.deepEqual(parseControlData(CONTROL), {
    state: 'in archive recovery', checkpoint: '0/6007530', checkpointTimeline: 2, minRecoveryEnd: '0/60075A8', minRecoveryTimeline: 2, backupEndRequired: false,
  });
  assert.deepEqual(parseControlData('garbage\n'), {});
});

test('recoveryTitles() finds the startup process and the WAL receiver, with or without cluster_name', () => {
  const titles = recoveryTitles([
    { pid: 10, cmdline: 'postgres: checkpointer ' },
    { pid: 11, cmdline: 'postgres: node-a: startup waiting for 000000010000000000000006' },
    { pid: 12, cmdline: 'postgres: walreceiver streaming 0/57A4930' },
  ]);
  assert.deepEqual(titles, { startup: 'waiting for 000000010000000000000006', startupPid: 11, walreceiver: 'streaming 0/57A4930' });
  assert.deepEqual(recoveryTitles([{ pid: 3, cmdline: 'postgres: startup' }]), { startup: '', startupPid: 3 });
});

test('lastServerLine() skips refused clients and can keep to one process', () => {
  const log = [
    '2026-12-04 23:08:22.599 UTC [13809] LOG:  entering standby mode',
    '2026-12-04 23:08:22.682 UTC [13854] LOG:  started streaming WAL from primary at 0/5000000 on timeline 10',
    '2026-12-04 23:08:22.700 UTC [13860] FATAL:  the database system is starting up',
    '2026-12-04 23:08:22.716 UTC [13857] FATAL:  the database system is not yet accepting connections',
    '2026-12-04 23:08:22.716 UTC [13857] DETAIL:  Consistent recovery state has not been yet reached.',
    '',
  ].join('\n');
  assert.equal(lastServerLine(log), 'LOG:  started streaming WAL from primary at 0/5000000 on timeline 10');
  assert.equal(lastServerLine(log, 13809), 'LOG:  entering standby mode');
  assert.equal(lastServerLine(''), undefined);
});

test('notReadableReason() says what the standby waits for and what it needs to be consistent', () => {
  const reason = notReadableReason({
    refusal: 'the database system is starting up',
    control: parseControlData(CONTROL),
    startup: 'waiting for 000000010000000000000006',
    walreceiver: 'streaming 0/6002000',
    serverLine: 'LOG:  waiting for WAL to become available at 0/6002000',
    unchangedMs: 21_400,
  });
  assert.equal(reason, 'not readable yet (the database system is starting up): startup process: waiting for 000000010000000000000006 (unchanged for 20 s or more); '
    + 'WAL receiver: streaming; consistent once replayed up to 0/60075A8 on timeline 2; starts from checkpoint 0/6007530 on timeline 2; '
    + 'cluster state: in archive recovery; server log: LOG:  waiting for WAL to become available at 0/6002000');
  assert.match(notReadableReason({ refusal: 'x' }), /^not readable yet \(x\): no startup process; no WAL receiver$/);
});

test('isNotReadableYet() tells a standby not consistent yet from other connection errors', () => {
  assert.equal(isNotReadableYet('FATAL:  the database system is starting up'), true);
  assert.equal(isNotReadableYet('the database system is not yet accepting connections'), true);
  assert.equal(isNotReadableYet('connect ECONNREFUSED /tmp/x/.s.PGSQL.5432'), false);
  assert.equal(isNotReadableYet('the database system is shutting down'), false);
});

test('RecoveryWatch counts how long the title stayed the same, and starts over when it changes', () => {
  const watch = new RecoveryWatch();
  assert.equal(watch.observe('recovering 05', 1_000), 0);
  assert.equal(watch.observe('recovering 05', 4_000), 3_000);
  assert.equal(watch.observe('recovering 06', 5_000), 0);
  assert.equal(watch.observe(undefined, 6_000), 0, 'no startup process: nothing to be stuck');
  watch.reset();
  assert.equal(watch.observe('recovering 06', 9_000), 0);
});
