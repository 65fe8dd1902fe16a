import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog } from '../../src/daemon/event-log.js';
import type { EventRecord } from '../../src/api/daemon-control.js';
import type { Logger } from '../../src/ports/index.js';

function steppingClock(): () => Date {
  let ms = Date.UTC(2024, 0, 2, 3, 4, 5, 0);
  return () => new Date((ms += 1000));
}

test('EventLog numbers records from 1 and stamps ISO wall-clock time', () => {
  const log = new EventLog({ wallClock: steppingClock() });
  assert.equal(log.lastSeq, 0);
  const first = log.append({ type: 'transition', instance: 'VI_1', message: 'BACKUP -> MASTER', fields: { reason: 'master down' } });
  const second = log.append({ type: 'reload', message: 'configuration reloaded' });
  assert.deepEqual(first, {
    seq: 1,
    time: '2024-01-02T03:04:06.000Z',
    type: 'transition',
    instance: 'VI_1',
    message: 'BACKUP -> MASTER',
    fields: { reason: 'master down' },
  });
  assert.equal(second.seq, 2);
  assert.equal(second.time, '2024-01-02T03:04:07.000Z');
  assert.equal('instance' in second, false, 'no instance key when none was given');
  assert.equal(log.lastSeq, 2);
});

test('EventLog keeps only the newest `capacity` records, in order', () => {
  const log = new EventLog({ wallClock: steppingClock(), capacity: 3 });
  for (let i = 1; i <= 7; i++) log.append({ type: 'daemon', message: `m${i}` });
  assert.equal(log.size, 3);
  assert.deepEqual(log.since().map((e) => e.message), ['m5', 'm6', 'm7']);
  assert.deepEqual(log.since().map((e) => e.seq), [5, 6, 7]);
});

test('EventLog.since returns records after a seq, including across the ring wrap', () => {
  const log = new EventLog({ wallClock: steppingClock(), capacity: 4 });
  for (let i = 1; i <= 6; i++) log.append({ type: 'daemon', message: `m${i}` });
  assert.deepEqual(log.since(4).map((e) => e.seq), [5, 6]);
  assert.deepEqual(log.since(5).map((e) => e.seq), [6]);
  assert.deepEqual(log.since(6), []);
  assert.deepEqual(log.since(100), [], 'a seq from the future gives nothing');
  assert.deepEqual(log.since(1).map((e) => e.seq), [3, 4, 5, 6], 'older than kept: everything kept');
  assert.deepEqual(log.since(0).map((e) => e.seq), [3, 4, 5, 6]);
  assert.throws(() => log.since(Number.NaN), RangeError);
  assert.deepEqual(new EventLog({ wallClock: steppingClock() }).since(), []);
});

test('EventLog records cannot be changed by a consumer', () => {
  const log = new EventLog({ wallClock: steppingClock() });
  const fields = { exitCode: 0 };
  const record = log.append({ type: 'hook', message: 'ran', fields });
  fields.exitCode = 1;
  assert.equal(record.fields?.exitCode, 0, 'the log copies fields');
  assert.throws(() => {
    (record as { message: string }).message = 'changed';
  }, TypeError);
});

test('EventLog subscribers get every new record until they unsubscribe', () => {
  const log = new EventLog({ wallClock: steppingClock() });
  log.append({ type: 'daemon', message: 'before' });
  const seen: EventRecord[] = [];
  const unsubscribe = log.subscribe((e) => seen.push(e));
  log.append({ type: 'daemon', message: 'one' });
  log.append({ type: 'daemon', message: 'two' });
  unsubscribe();
  log.append({ type: 'daemon', message: 'three' });
  assert.deepEqual(seen.map((e) => e.message), ['one', 'two']);
});

test('EventLog isolates a throwing listener from the producer and other listeners', () => {
  const warnings: Array<Record<string, unknown> | undefined> = [];
  const logger: Logger = {
    log: (level, _message, fields) => {
      if (level === 'warn') warnings.push(fields);
    },
    child: () => logger,
  };
  const log = new EventLog({ wallClock: steppingClock(), log: logger });
  const seen: number[] = [];
  log.subscribe(() => {
    throw new Error('listener bug');
  });
  log.subscribe((e) => seen.push(e.seq));
  const record = log.append({ type: 'check', message: 'web down' });
  assert.equal(record.seq, 1);
  assert.deepEqual(seen, [1]);
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0]?.error), /listener bug/);
});

test('EventLog lets a listener unsubscribe itself while being called', () => {
  const log = new EventLog({ wallClock: steppingClock() });
  const calls: string[] = [];
  const off = log.subscribe(() => {
    calls.push('once');
    off();
  });
  log.subscribe(() => calls.push('always'));
  log.append({ type: 'daemon', message: 'a' });
  log.append({ type: 'daemon', message: 'b' });
  assert.deepEqual(calls, ['once', 'always', 'always']);
});

test('EventLog refuses a capacity that is not a positive integer', () => {
  assert.throws(() => new EventLog({ wallClock: steppingClock(), capacity: 0 }), RangeError);
  assert.throws(() => new EventLog({ wallClock: steppingClock(), capacity: 2.5 }), RangeError);
});
