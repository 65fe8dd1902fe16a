/**
 * The daemon's logger (src/daemon/logger.ts, behind the Logger port): JSON lines, the
 * terminal format, child context, levels, and the repeat limiter.
 * (Kept with the operations tests: the logger is part of the same work.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, formatHuman, limitRepeats, LineLogger, silentLogger } from '../../src/daemon/logger.js';
import type { LogLevel, Logger } from '../../src/ports/index.js';

const fixedClock = () => new Date('2025-01-01T12:00:00.000Z');

function capture(): { lines: string[]; sink: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, sink: { write: (line: string) => lines.push(line) } };
}

test('JSON lines: level as text, ISO time, message, fields, and child context', () => {
  const { lines, sink } = capture();
  const log = createLogger({ minLevel: 'info', human: false, wallClock: fixedClock, sink });
  log.log('info', 'hotstandby running', { instances: 2 });
  log.child({ instance: 'web', vrid: 51 }).child({ iface: 'eth0' }).log('warn', 'BACKUP → FAULT', { reason: 'eth0 is down' });
  log.log('debug', 'not shown at info');
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
  assert.deepEqual(JSON.parse(lines[0] as string), { level: 'info', time: '2025-01-01T12:00:00.000Z', instances: 2, msg: 'hotstandby running' });
  assert.deepEqual(JSON.parse(lines[1] as string), {
    level: 'warn',
    time: '2025-01-01T12:00:00.000Z',
    instance: 'web',
    vrid: 51,
    iface: 'eth0',
    reason: 'eth0 is down',
    msg: 'BACKUP → FAULT',
  });
});

test('JSON lines survive awkward fields: errors keep their message, a cycle costs the fields, not the line', () => {
  const { lines, sink } = capture();
  const log = createLogger({ minLevel: 'info', human: false, wallClock: fixedClock, sink });
  log.log('error', 'send failed', { error: new RangeError('boom'), bytes: 10n, text: 'quote " and \n newline' });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  log.child({ instance: 'web' }).log('warn', 'odd', cyclic);
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0] as string);
  assert.equal(first.error.type, 'RangeError');
  assert.equal(first.error.message, 'boom');
  assert.equal(first.bytes, '10');
  assert.equal(first.text, 'quote " and \n newline');
  const second = JSON.parse(lines[1] as string);
  assert.equal(second.msg, 'odd');
  assert.equal(second.instance, 'web');
  assert.match(second.unloggableFields, /circular/i);
});

test('every level at or above the minimum is written, the rest dropped', () => {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  for (const minLevel of levels) {
    const { lines, sink } = capture();
    const log = createLogger({ minLevel, human: false, wallClock: fixedClock, sink });
    for (const level of levels) log.log(level, level);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).level),
      levels.slice(levels.indexOf(minLevel)),
    );
  }
});

test('terminal format: time, padded level, message, then key=value with quoting where needed', () => {
  const { lines, sink } = capture();
  const log = createLogger({ minLevel: 'debug', human: true, wallClock: fixedClock, sink });
  log.child({ instance: 'web' }).log('warn', 'advert dropped', { reason: 'auth password', count: 3, from: '192.0.2.2' });
  log.log('error', 'plain');
  assert.deepEqual(lines, [
    '2025-01-01T12:00:00.000Z WARN  advert dropped  instance=web reason="auth password" count=3 from=192.0.2.2\n',
    '2025-01-01T12:00:00.000Z ERROR plain\n',
  ]);
  assert.equal(formatHuman('not json\n'), 'not json\n');
});

test('the LineLogger signature still works and writes the same JSON', () => {
  const { lines, sink } = capture();
  new LineLogger(sink, { minLevel: 'info', human: false, wallClock: fixedClock }).child({ a: 1 }).log('info', 'x');
  assert.deepEqual(JSON.parse(lines[0] as string), { level: 'info', time: '2025-01-01T12:00:00.000Z', a: 1, msg: 'x' });
  silentLogger.child({ a: 1 }).log('error', 'dropped');
});

function recording(): { log: Logger; lines: Array<{ level: LogLevel; message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: LogLevel; message: string; fields?: Record<string, unknown> }> = [];
  const make = (context: Record<string, unknown>): Logger => ({
    log: (level, message, fields) => lines.push({ level, message, fields: { ...context, ...fields } }),
    child: (more) => make({ ...context, ...more }),
  });
  return { log: make({}), lines };
}

test('repeat limiter: identical warnings once per interval, then with the count left out', () => {
  let now = 0;
  const { log, lines } = recording();
  const limited = limitRepeats(log, { intervalMs: 1000, now: () => now });
  for (let i = 0; i < 50; i++) limited.log('warn', 'advert dropped', { reason: 'ttl' });
  limited.log('warn', 'advert dropped', { reason: 'checksum' });
  limited.log('info', 'not limited');
  limited.log('info', 'not limited');
  assert.deepEqual(
    lines.map((l) => [l.level, l.message, l.fields?.reason, l.fields?.repeated]),
    [
      ['warn', 'advert dropped', 'ttl', undefined],
      ['warn', 'advert dropped', 'checksum', undefined],
      ['info', 'not limited', undefined, undefined],
      ['info', 'not limited', undefined, undefined],
    ],
  );
  now = 999;
  limited.log('warn', 'advert dropped', { reason: 'ttl' });
  assert.equal(lines.length, 4, 'still inside the interval');
  now = 1000;
  limited.log('warn', 'advert dropped', { reason: 'ttl' });
  assert.equal(lines.length, 5);
  assert.equal(lines[4]?.fields?.repeated, 50, '49 in the burst and 1 at 999 ms');
  now = 2500;
  limited.log('warn', 'advert dropped', { reason: 'ttl' });
  assert.equal(lines[5]?.fields?.repeated, undefined, 'nothing was left out since the last one');
});

test('repeat limiter: children share the limits but keep their context apart; memory is bounded', () => {
  const { log, lines } = recording();
  const limited = limitRepeats(log, { intervalMs: 60_000, now: () => 0, maxKeys: 2 });
  const web = limited.child({ instance: 'web' });
  const db = limited.child({ instance: 'db' });
  web.log('warn', 'link down');
  web.log('warn', 'link down');
  db.log('warn', 'link down');
  limited.child({ instance: 'web' }).log('warn', 'link down');
  assert.deepEqual(
    lines.map((l) => l.fields?.instance),
    ['web', 'db'],
  );
  // A third distinct message pushes out the oldest one (web), which may then be logged again.
  limited.log('warn', 'something else');
  web.log('warn', 'link down');
  assert.equal(lines.length, 4);
  assert.equal(lines[3]?.fields?.instance, 'web');
});
