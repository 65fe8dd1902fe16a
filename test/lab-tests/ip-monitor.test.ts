/** Parsing `ip -ts monitor` lines and /proc/<pid>/stat for the lab's monitors and process-tree signals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressEvent, parseNeighbourEvent } from '../../src/lab/ip-monitor.js';
import { parentPidOf, processTree } from '../../src/lab/process-tree.js';
import { firstReplyAtOrAfter, sentWithin } from '../../src/lab/prober-process.js';

const at = Date.parse('2026-11-23T22:57:03') + 582.782;

test('parseAddressEvent() reads additions and deletions with microsecond times', () => {
  assert.deepEqual(parseAddressEvent('[2026-11-23T22:57:03.582782] 2: eth0    inet 10.99.7.100/24 scope global secondary eth0'), { ms: at, address: '10.99.7.100', deleted: false });
  assert.deepEqual(parseAddressEvent('[2026-11-23T22:57:03.582782] Deleted 2: eth0    inet 10.99.7.100/24 scope global secondary eth0'), { ms: at, address: '10.99.7.100', deleted: true });
  assert.equal(parseAddressEvent('       valid_lft forever preferred_lft forever'), undefined);
});

test('parseNeighbourEvent() reads the MAC and state, and none for unresolved or deleted entries', () => {
  assert.deepEqual(parseNeighbourEvent('[2026-11-23T22:57:03.582782] 10.99.7.100 dev eth0 lladdr 02:68:73:07:00:02 REACHABLE'), {
    ms: at,
    address: '10.99.7.100',
    mac: '02:68:73:07:00:02',
    state: 'REACHABLE',
  });
  assert.deepEqual(parseNeighbourEvent('[2026-11-23T22:57:03.582782] 10.99.7.100 dev eth0 lladdr 02:68:73:07:00:01 STALE'), {
    ms: at,
    address: '10.99.7.100',
    mac: '02:68:73:07:00:01',
    state: 'STALE',
  });
  assert.deepEqual(parseNeighbourEvent('[2026-11-23T22:57:03.582782] 10.99.7.100 dev eth0  FAILED'), { ms: at, address: '10.99.7.100', mac: undefined, state: 'FAILED' });
  assert.deepEqual(parseNeighbourEvent('[2026-11-23T22:57:03.582782] Deleted 10.99.7.100 dev eth0 lladdr 02:68:73:07:00:01 STALE'), {
    ms: at,
    address: '10.99.7.100',
    mac: undefined,
    state: 'DELETED',
  });
  assert.equal(parseNeighbourEvent('not a monitor line'), undefined);
});

test('parentPidOf() reads the parent pid past a command name with spaces and parentheses', () => {
  assert.equal(parentPidOf('1234 (keepalived) S 1200 1234 1234 0 -1'), 1200);
  assert.equal(parentPidOf('77 (a (b) c) R 5 77 77 0 -1'), 5);
  assert.equal(parentPidOf('garbage'), undefined);
});

test('processTree() lists this process first and nothing for a pid that does not exist', () => {
  assert.equal(processTree(process.pid)[0], process.pid);
  assert.deepEqual(processTree(2 ** 22 + 12345), []);
});

test('firstReplyAtOrAfter() finds the earliest reply at or after a time, also when replies overtook each other', () => {
  const records = [{ sentAt: 0, repliedAt: 5 }, { sentAt: 10 }, { sentAt: 20, repliedAt: 40 }, { sentAt: 30, repliedAt: 35 }, { sentAt: 40 }];
  assert.equal(firstReplyAtOrAfter(records, 0), 5);
  assert.equal(firstReplyAtOrAfter(records, 6), 35);
  assert.equal(firstReplyAtOrAfter(records, 36), 40);
  assert.equal(firstReplyAtOrAfter(records, 41), null);
  assert.equal(firstReplyAtOrAfter(records, Number.NaN), null);
});

test('sentWithin() counts the requests sent in a window and the unanswered among them', () => {
  const records = [{ sentAt: 0, repliedAt: 5 }, { sentAt: 10 }, { sentAt: 20, repliedAt: 40 }, { sentAt: 30 }, { sentAt: 40 }];
  assert.deepEqual(sentWithin(records, 0, 50), { sent: 5, unanswered: 3 });
  assert.deepEqual(sentWithin(records, 10, 30), { sent: 2, unanswered: 1 });
  assert.deepEqual(sentWithin(records, 50, 60), { sent: 0, unanswered: 0 });
});
