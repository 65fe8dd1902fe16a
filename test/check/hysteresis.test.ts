import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialHysteresis, stepHysteresis } from '../../src/check/hysteresis.js';

/** The healthy flag after each result of `results` ('+' success, '-' failure). */
function trace(results: string, rise: number, fall: number, initFail = false): string {
  let state = initialHysteresis(initFail);
  let out = '';
  for (const r of results) {
    state = stepHysteresis(state, r === '+', rise, fall);
    out += state.healthy ? 'H' : 'F';
  }
  return out;
}

test('hysteresis: rise 1 / fall 1 follows every result', () => {
  assert.equal(trace('+-+--+', 1, 1), 'HFHFFH');
});

test('hysteresis: fall 3 needs three failures in a row; a success resets the count', () => {
  assert.equal(trace('--+---', 1, 3), 'HHHHHF');
});

test('hysteresis: rise 2 needs two successes in a row once failed; a failure resets the count', () => {
  assert.equal(trace('-+-++', 2, 1), 'FFFFH');
});

test('hysteresis: init_fail starts failed and needs rise successes', () => {
  assert.equal(trace('+++', 3, 1, true), 'FFH');
  assert.equal(initialHysteresis(true).healthy, false);
  assert.equal(initialHysteresis(false).healthy, true);
});

test('hysteresis: a result agreeing with the state clears the streak', () => {
  let state = initialHysteresis(false);
  state = stepHysteresis(state, false, 1, 3);
  assert.deepEqual(state, { healthy: true, streak: 1 });
  state = stepHysteresis(state, true, 1, 3);
  assert.deepEqual(state, { healthy: true, streak: 0 });
});
