/**
 * Browser sessions: random ids, expiry by idleness and by age on an injected clock, a bounded
 * store, and cookie names that keep two forwarded daemons apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieValue, sessionCookie, sessionCookieName, Sessions } from '../../src/api/sessions.js';

test('a session lives while used, ends after idling and at its maximum age however used', () => {
  const clock = { ms: 0 };
  const sessions = new Sessions({ now: () => clock.ms, idleMs: 1000, maxAgeMs: 5000 });
  const s = sessions.create('admin', '127.0.0.1');
  assert.notEqual(s.id, s.csrfToken);
  for (let i = 0; i < 4; i++) {
    clock.ms += 999;
    assert.equal(sessions.find(s.id)?.role, 'admin', `used at ${clock.ms} ms`);
  }
  clock.ms += 999; // 4995 ms after login, still used within the idle time
  assert.ok(sessions.find(s.id));
  clock.ms += 10; // past 5 s since login
  assert.equal(sessions.find(s.id), undefined);
  const idle = sessions.create('read', '127.0.0.1');
  clock.ms += 1001;
  assert.equal(sessions.find(idle.id), undefined);
  assert.equal(sessions.find(undefined), undefined);
});

test('the store is bounded: the oldest session goes first', () => {
  const sessions = new Sessions({ now: () => 0, capacity: 3 });
  const [first, ...rest] = [1, 2, 3, 4].map(() => sessions.create('read', 'x'));
  assert.equal(sessions.size, 3);
  assert.equal(sessions.find(first?.id), undefined);
  for (const s of rest) assert.ok(sessions.find(s.id));
});

test('session ids are unguessable and distinct', () => {
  const sessions = new Sessions({ now: () => 0, capacity: 1000 });
  const ids = new Set(Array.from({ length: 500 }, () => sessions.create('read', 'x').id));
  assert.equal(ids.size, 500);
  for (const id of ids) assert.match(id, /^[\w-]{43}$/);
});

test('cookie names follow the port the browser sees; values are read from a Cookie header', () => {
  assert.equal(sessionCookieName('localhost:8001'), 'hs_session_8001');
  assert.equal(sessionCookieName('[::1]:8002'), 'hs_session_8002');
  assert.equal(sessionCookieName('lb1.example.net'), 'hs_session');
  assert.equal(cookieValue('a=1; hs_session_8001=abc; hs_session_8002=def', 'hs_session_8002'), 'def');
  assert.equal(cookieValue(undefined, 'hs_session'), undefined);
  assert.equal(sessionCookie('hs_session', 'id', true), 'hs_session=id; Path=/; HttpOnly; SameSite=Strict; Secure');
});
