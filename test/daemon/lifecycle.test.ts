import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle } from '../../src/daemon/lifecycle.js';
import type { Logger } from '../../src/ports/index.js';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = { lines, log: (_level: string, message: string) => void lines.push(message), child: () => log };
  return log;
}

test('Lifecycle.closeAll closes in reverse order of registration and goes on past a closer that fails', async () => {
  const log = recordingLog();
  const lifecycle = new Lifecycle(log);
  const closed: string[] = [];
  lifecycle.onClose('first', () => void closed.push('first'));
  lifecycle.adopt('second', { close: () => Promise.reject(new Error('EBUSY')) });
  lifecycle.adopt('third', { close: async () => void closed.push('third') });
  await lifecycle.closeAll();
  assert.deepEqual(closed, ['third', 'first']);
  assert.deepEqual(log.lines, ['error while closing second']);
  await lifecycle.closeAll();
  assert.deepEqual(closed, ['third', 'first'], 'nothing is closed twice');
});

test('Lifecycle.build closes what a failed start-up opened, last first, and passes the error on', async () => {
  const closed: string[] = [];
  await assert.rejects(
    Lifecycle.build(recordingLog(), async (lifecycle) => {
      lifecycle.onClose('pid file', () => void closed.push('pid file'));
      lifecycle.onClose('sockets', () => void closed.push('sockets'));
      throw new Error('interface eth9 does not exist');
    }),
    /eth9/,
  );
  assert.deepEqual(closed, ['sockets', 'pid file']);
});

test('Lifecycle.build leaves what a successful start-up opened open for stop()', async () => {
  const closed: string[] = [];
  const lifecycle = await Lifecycle.build(recordingLog(), async (l) => {
    l.onClose('sockets', () => void closed.push('sockets'));
    return l;
  });
  assert.deepEqual(closed, []);
  await lifecycle.closeAll();
  assert.deepEqual(closed, ['sockets']);
});
