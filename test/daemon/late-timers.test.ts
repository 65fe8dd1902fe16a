import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LateTimerWarning, lateThresholdMs } from '../../src/daemon/late-timers.js';
import { PreciseTime } from '../../src/daemon/real-time.js';
import { loadNative } from '../../src/net/native.js';
import type { Logger } from '../../src/ports/index.js';
import { instanceConfig } from '../support/instance-config.js';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = { lines, log: (level: string, message: string) => void lines.push(`${level}: ${message}`), child: () => log };
  return log;
}

test('lateThresholdMs() is half the shortest Master_Down_Interval (RFC 5798 §6.1)', () => {
  // v3, 100 ms, priority 100: 3 × 100 + (256 − 100) / 256 × 100 = 360.9375 ms.
  const fast = instanceConfig({ version: 3, advertIntervalMs: 100, priority: 100 });
  const slow = instanceConfig({ version: 2, advertIntervalMs: 1000, priority: 200 });
  assert.equal(lateThresholdMs({ instances: [slow, fast] }), 360.9375 / 2);
  assert.equal(lateThresholdMs({ instances: [] }), 500);
});

test('LateTimerWarning: warns above the threshold, at most once per interval, and counts the rest', () => {
  let now = 0;
  const log = recordingLog();
  const warning = new LateTimerWarning(180, { now: () => now }, log, 10_000);
  warning.report(150); // under the threshold
  assert.deepEqual(log.lines, []);
  warning.report(240.4);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0] ?? '', /^warn: timers ran 240 ms late \(more than 180 ms, half the shortest master-down interval\): the daemon did not get the CPU in time .*processPriority/);
  now = 5000;
  warning.report(300);
  warning.report(900);
  assert.equal(log.lines.length, 1, 'rate-limited');
  now = 10_001;
  warning.report(200);
  assert.equal(log.lines.length, 2);
  assert.match(log.lines[1] ?? '', /timers ran 200 ms late .*; 2 more late wake-ups since the last warning, the worst 900 ms$/);
});

test('PreciseTime reports how late a wake-up ran its most overdue timer', async () => {
  const native = loadNative();
  const late: number[] = [];
  const time = new PreciseTime((onFire) => new native.PreciseTimer(onFire), (err) => assert.fail(String(err)), (ms) => late.push(ms));
  const start = time.now();
  const fired = new Promise<void>((resolve) => time.at(start + 5, resolve));
  // The event loop is busy past the deadline: the timer runs at least 60 ms late.
  while (time.now() < start + 70);
  await fired;
  time.close();
  assert.equal(late.length, 1);
  assert.ok((late[0] ?? 0) >= 60, `reported ${late[0]} ms`);
});
