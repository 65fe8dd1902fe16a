import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Display } from '../../src/demo/display.js';
import { formatLiveLine, liveLineKey, type LiveSnapshot } from '../../src/demo/live-line.js';

const snapshot = (overrides: Partial<LiveSnapshot> = {}): LiveSnapshot => ({
  elapsedMs: 12_345,
  nodes: [
    { node: 'a', state: 'MASTER', priority: 150 },
    { node: 'b', state: 'BACKUP', priority: 100 },
  ],
  vipHolders: ['a'],
  answersBy: { a: 50 },
  failures: 0,
  ...overrides,
});

test('the live line shows states, the VIP holder and who answers the client', () => {
  assert.equal(formatLiveLine(snapshot()), ' 12.3s  a MASTER 150  b BACKUP 100  VIP on a  client → a (50/s)');
  assert.equal(
    formatLiveLine(snapshot({ nodes: [{ node: 'a', state: undefined, priority: undefined }, { node: 'b', state: 'MASTER', priority: 100 }], vipHolders: [], answersBy: {}, failures: 9 })),
    ' 12.3s  a -  b MASTER 100  VIP nowhere  client: no answer (9 failed/s)',
  );
  assert.match(formatLiveLine(snapshot({ vipHolders: ['a', 'b'], answersBy: { a: 10, b: 30 }, failures: 2 })), /VIP on a\+b  client → a \(10\/s\) \+ b \(30\/s\), 2 failed\/s$/);
});

test('the key ignores the clock and the rates but not states, holder, answering nodes or failing', () => {
  const base = liveLineKey(snapshot());
  assert.equal(liveLineKey(snapshot({ elapsedMs: 99_000, answersBy: { a: 12 } })), base);
  assert.notEqual(liveLineKey(snapshot({ vipHolders: ['b'] })), base);
  assert.notEqual(liveLineKey(snapshot({ answersBy: { a: 40, b: 1 } })), base);
  assert.notEqual(liveLineKey(snapshot({ failures: 1 })), base);
  assert.notEqual(liveLineKey(snapshot({ nodes: [{ node: 'a', state: 'FAULT', priority: 150 }] })), base);
});

test('display: lines mode prints a live line only when it changes; quiet prints only non-verbose messages', () => {
  let out = '';
  const lines = new Display({ write: (t: string) => (out += t) }, 'lines');
  lines.live('one', 'k1');
  lines.live('one again', 'k1');
  lines.live('two', 'k2');
  lines.say('chatter', { verbose: true });
  assert.equal(out, 'one\ntwo\nchatter\n');

  out = '';
  const quiet = new Display({ write: (t: string) => (out += t) }, 'quiet');
  quiet.live('one', 'k1');
  quiet.say('chatter', { verbose: true });
  quiet.say('gap 120 ms');
  assert.equal(out, 'gap 120 ms\n');
});

test('display: on a terminal the live line is redrawn in place and messages go above it', () => {
  let out = '';
  const tty = new Display({ write: (t: string) => (out += t) }, 'tty');
  tty.live('state 1', 'k');
  tty.say('event');
  tty.endLive();
  assert.equal(out, '\r\x1b[Kstate 1\r\x1b[Kevent\nstate 1\r\x1b[Kstate 1\n');
});
