import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreciseTime } from '../../src/daemon/real-time.js';
import { loadNative } from '../../src/net/native.js';

function realTime(): PreciseTime {
  const native = loadNative();
  return new PreciseTime((onFire) => new native.PreciseTimer(onFire), (err) => assert.fail(String(err)));
}

test('PreciseTime fires timers in deadline order, never before their deadline, and skips cancelled ones', async () => {
  const time = realTime();
  const start = time.now();
  const fired: Array<{ name: string; late: number }> = [];
  const deadlines = { c: start + 30, a: start + 5, b: start + 12.5, d: start + 20 };
  const cancels: Record<string, () => void> = {};
  for (const [name, deadline] of Object.entries(deadlines)) {
    cancels[name] = time.at(deadline, () => fired.push({ name, late: time.now() - deadline }));
  }
  cancels.d?.();
  await new Promise<void>((resolve) => time.at(start + 40, resolve));
  time.close();
  assert.deepEqual(
    fired.map((f) => f.name),
    ['a', 'b', 'c'],
  );
  for (const f of fired) assert.ok(f.late >= 0, `timer ${f.name} fired ${-f.late} ms early`);
});

test('PreciseTime: a timer callback that throws does not stop the next one', async () => {
  const native = loadNative();
  const errors: unknown[] = [];
  const time = new PreciseTime((onFire) => new native.PreciseTimer(onFire), (err) => errors.push(err));
  const start = time.now();
  time.at(start + 1, () => {
    throw new Error('boom');
  });
  await new Promise<void>((resolve) => time.at(start + 2, resolve));
  time.close();
  assert.equal(errors.length, 1);
});
