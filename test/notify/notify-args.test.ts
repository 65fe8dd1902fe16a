import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fifoLine, hooksFor } from '../../src/notify/notify-args.js';

const notify = {
  master: '/etc/hs/master.sh --vip "10.0.0.1 10.0.0.2"',
  backup: '/etc/hs/backup.sh',
  fault: "/etc/hs/fault.sh 'VG 1'",
  generic: '/etc/hs/notify.sh first',
};

test('hooksFor: the state script with its own words only, then the generic script with TYPE NAME STATE PRIORITY', () => {
  assert.deepEqual(hooksFor('INSTANCE', 'VI_1', notify, 'MASTER', 103), [
    { keyword: 'notify_master', command: ['/etc/hs/master.sh', '--vip', '10.0.0.1 10.0.0.2'] },
    { keyword: 'notify', command: ['/etc/hs/notify.sh', 'first', 'INSTANCE', 'VI_1', 'MASTER', '103'] },
  ]);
  assert.deepEqual(hooksFor('INSTANCE', 'VI_1', notify, 'FAULT', 0), [
    { keyword: 'notify_fault', command: ['/etc/hs/fault.sh', 'VG 1'] },
    { keyword: 'notify', command: ['/etc/hs/notify.sh', 'first', 'INSTANCE', 'VI_1', 'FAULT', '0'] },
  ]);
});

test('hooksFor: STOP runs notify_stop when set, and the generic script in any case', () => {
  assert.deepEqual(hooksFor('INSTANCE', 'VI_1', notify, 'STOP', 100), [
    { keyword: 'notify', command: ['/etc/hs/notify.sh', 'first', 'INSTANCE', 'VI_1', 'STOP', '100'] },
  ]);
  assert.deepEqual(hooksFor('INSTANCE', 'VI_1', { stop: '/x/stop' }, 'STOP', 100), [{ keyword: 'notify_stop', command: ['/x/stop'] }]);
});

test('hooksFor: a sync group passes GROUP and priority 0, as keepalived does', () => {
  assert.deepEqual(hooksFor('GROUP', 'G1', notify, 'BACKUP', 250), [
    { keyword: 'notify_backup', command: ['/etc/hs/backup.sh'] },
    { keyword: 'notify', command: ['/etc/hs/notify.sh', 'first', 'GROUP', 'G1', 'BACKUP', '0'] },
  ]);
});

test('hooksFor: a sync group gets STOP at shutdown too (keepalived 2.2.7 runs its notify_stop)', () => {
  assert.deepEqual(hooksFor('GROUP', 'G1', { stop: '/x/gstop', generic: '/x/gen' }, 'STOP', 0), [
    { keyword: 'notify_stop', command: ['/x/gstop'] },
    { keyword: 'notify', command: ['/x/gen', 'GROUP', 'G1', 'STOP', '0'] },
  ]);
});

test('hooksFor: nothing configured, nothing to run', () => {
  assert.deepEqual(hooksFor('INSTANCE', 'VI_1', {}, 'MASTER', 100), []);
  assert.deepEqual(hooksFor('INSTANCE', 'VI_1', { backup: '/x' }, 'MASTER', 100), []);
});

test('fifoLine: keepalived notify FIFO format', () => {
  assert.equal(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  assert.equal(fifoLine('INSTANCE', 'VI_1', 'STOP', 98), 'INSTANCE "VI_1" STOP 98\n');
  assert.equal(fifoLine('GROUP', 'G1', 'BACKUP', 100), 'GROUP "G1" BACKUP 0\n');
});
