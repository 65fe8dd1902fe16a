/**
 * The fault lab's pure parts: seeded fault plans, the settled-pair rule, psql's answer parsed,
 * and the postgresql kind's witness key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNodeState, settledState, type NodeState } from '../../src/lab/pgfail/node-state.js';
import { FAULT_KINDS, planFaults } from '../../src/lab/pgfail/plan.js';
import { etcdWitnessFor, parseWitnessSettings } from '../../src/resources/postgresql/witness-settings.js';
import { objectSettings } from '../resources/postgresql/object-settings.js';

test('planFaults() covers every kind in each round and replays from its seed', () => {
  const plan = planFaults(7, FAULT_KINDS.length * 2);
  assert.deepEqual([...plan.slice(0, FAULT_KINDS.length)].sort(), [...FAULT_KINDS].sort());
  assert.deepEqual([...plan.slice(FAULT_KINDS.length)].sort(), [...FAULT_KINDS].sort());
  assert.deepEqual(planFaults(7, 10), plan.slice(0, 10));
  assert.notDeepEqual(planFaults(8, 14), plan);
  assert.throws(() => planFaults(1, 3, []), RangeError);
});

const primary = (replicas: Array<{ name: string; state: string; syncState: string }>): NodeState => ({ up: true, inRecovery: false, replicas });
const standby: NodeState = { up: true, inRecovery: true, replicas: [] };

test('settledState() wants one VIP holder, a primary there and the other node streaming synchronously from it', () => {
  const hosts = ['a', 'b'] as const;
  const sync = primary([{ name: 'b', state: 'streaming', syncState: 'sync' }]);
  assert.deepEqual(settledState(hosts, ['a'], { a: sync, b: standby }, { requireSync: true }), { primary: 'a' });
  assert.match((settledState(hosts, ['a', 'b'], { a: sync, b: standby }, { requireSync: true }) as { reason: string }).reason, /VIP on a,b/);
  assert.match((settledState(hosts, [], { a: sync, b: standby }, { requireSync: true }) as { reason: string }).reason, /VIP on no host/);
  assert.match((settledState(hosts, ['a'], { a: sync, b: { up: false, error: 'refused' } }, { requireSync: true }) as { reason: string }).reason, /b not answering: refused/);
  assert.match((settledState(hosts, ['a'], { a: sync, b: sync }, { requireSync: true }) as { reason: string }).reason, /b is a primary too/);
  assert.match((settledState(hosts, ['a'], { a: standby, b: standby }, { requireSync: true }) as { reason: string }).reason, /holds the VIP but is in recovery/);
  const async = primary([{ name: 'b', state: 'streaming', syncState: 'async' }]);
  assert.match((settledState(hosts, ['a'], { a: async, b: standby }, { requireSync: true }) as { reason: string }).reason, /streams async, not sync/);
  assert.deepEqual(settledState(hosts, ['a'], { a: async, b: standby }, { requireSync: false }), { primary: 'a' });
  const catchingUp = primary([{ name: 'b', state: 'catchup', syncState: 'async' }]);
  assert.match((settledState(hosts, ['a'], { a: catchingUp, b: standby }, { requireSync: false }) as { reason: string }).reason, /b not streaming from a \(b catchup\)/);
});

test('parseNodeState() reads psql -At -F "|" output', () => {
  assert.deepEqual(parseNodeState('f|b:streaming:sync\n'), { up: true, inRecovery: false, replicas: [{ name: 'b', state: 'streaming', syncState: 'sync' }] });
  assert.deepEqual(parseNodeState('t|\n'), { up: true, inRecovery: true, replicas: [] });
  assert.equal(parseNodeState('garbage').up, false);
});

test('the witness key: etcd URLs required and checked, key and timeout optional, errors name the key', () => {
  const parse = (witness: unknown) => parseWitnessSettings(objectSettings('resources.db', { witness }));
  assert.equal(parseWitnessSettings(objectSettings('resources.db', {})), undefined);
  assert.deepEqual(parse({ etcd: ['http://10.0.0.3:2379'] }), { etcd: ['http://10.0.0.3:2379'], requestTimeoutMs: 1000 });
  assert.deepEqual(parse({ etcd: 'http://w:2379', key: '/hs/db', requestTimeout: '2s' }), { etcd: ['http://w:2379'], key: '/hs/db', requestTimeoutMs: 2000 });
  assert.throws(() => parse({}), /witness\.etcd: is required/);
  assert.throws(() => parse({ etcd: ['10.0.0.3:2379'] }), /witness\.etcd: "10\.0\.0\.3:2379" is not an http/);
  assert.throws(() => parse({ etcd: ['http://w:2379'], key: 'db' }), /witness\.key: must start with "\/"/);
  assert.throws(() => parse({ etcd: ['http://w:2379'], other: 1 }), /other/);
  const witness = etcdWitnessFor({ witness: { etcd: ['http://w:2379'], requestTimeoutMs: 500 } }, { name: 'db' });
  assert.equal(witness?.arbitrates, true);
  assert.match(witness?.description ?? '', /key \/hotstandby\/postgresql\/db/);
  assert.equal(etcdWitnessFor({}, { name: 'db' }), undefined);
});
