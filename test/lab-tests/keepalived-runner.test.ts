import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepalivedPaths, keepalivedRunCommand, parseStateLine } from '../../src/lab/keepalived.js';
import { parseNamespaceList } from '../../src/lab/namespaces.js';

test('keepalived runs in the foreground with pid files of its own', () => {
  const command = keepalivedRunCommand(keepalivedPaths('/tmp/x'));
  assert.equal(command[0], '/usr/sbin/keepalived');
  for (const flag of ['--dont-fork', '--log-console', '--no-syslog', '--vrrp']) assert.ok(command.includes(flag), flag);
  assert.equal(command[command.indexOf('--use-file') + 1], '/tmp/x/keepalived.conf');
  assert.equal(command[command.indexOf('--pid') + 1], '/tmp/x/keepalived.pid');
  assert.equal(command[command.indexOf('--vrrp_pid') + 1], '/tmp/x/vrrp.pid');
  assert.equal(command[command.indexOf('--checkers_pid') + 1], '/tmp/x/checkers.pid');
});

test("keepalived's state lines are understood", () => {
  assert.deepEqual(parseStateLine('Mon Nov 23 21:25:44 2026: (VI_1) Entering BACKUP STATE (init)'), { instance: 'VI_1', state: 'BACKUP' });
  assert.deepEqual(parseStateLine('Mon Nov 23 21:25:48 2026: (web) Entering MASTER STATE'), { instance: 'web', state: 'MASTER' });
  assert.equal(parseStateLine('(VI_1) received lower priority (100) advert from 10.99.157.2 - discarding'), undefined);
});

test('ip netns list output gives the names', () => {
  assert.deepEqual(parseNamespaceList('hs1-2-a (id: 3)\nblue\n\n'), ['hs1-2-a', 'blue']);
});
