/** The lab HTTP client's side in the test process: its output lines and the log of outcomes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientLog } from '../../src/lab/client-log.js';
import { parseOutcomeLine } from '../../src/lab/request-outcome.js';

test('client output lines become outcomes; anything else is ignored', () => {
  assert.deepEqual(parseOutcomeLine('{"at":1.5,"ok":true,"node":"a"}'), { at: 1.5, ok: true, node: 'a' });
  assert.deepEqual(parseOutcomeLine('{"at":2,"ok":false,"error":"timeout"}'), { at: 2, ok: false, error: 'timeout' });
  for (const line of ['', 'node a', '{"at":"x","ok":true}', '{"at":1}', '{broken', 'null', '[1]']) {
    assert.equal(parseOutcomeLine(line), undefined, line);
  }
});

test('client log: recent answers by node and failures in the last second; first answer of a node after a time', () => {
  const log = new ClientLog();
  for (let at = 0; at < 2000; at += 100) log.add(at < 1500 ? { at, ok: true, node: 'a' } : { at, ok: false, error: 'timeout' });
  log.add({ at: 1950, ok: true, node: 'b' });
  assert.deepEqual(log.recent(2000), { answersBy: { a: 4, b: 1 }, failures: 5 });
  assert.equal(log.firstAnswerFrom('b', 1000)?.at, 1950);
  assert.equal(log.firstAnswerFrom('a', 1400), undefined);
});
