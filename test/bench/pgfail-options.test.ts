/** The postgresql-failover row's env options (bench/lib/pgfail-options.ts): defaults, subsets, bad values named. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectSettings, PGFAIL_PAIRS, pgfailOptionsFrom } from '../../bench/lib/pgfail-options.js';
import { FAULT_KINDS } from '../../src/lab/pgfail/plan.js';

test('pgfailOptionsFrom() defaults to every fault kind, every pair and the hedged client', () => {
  assert.deepEqual(pgfailOptionsFrom({}), { faults: [...FAULT_KINDS], pairs: [...PGFAIL_PAIRS], client: 'hedged' });
  assert.deepEqual(pgfailOptionsFrom({ BENCH_PGFAIL_FAULTS: ' ', BENCH_PGFAIL_PAIRS: '' }).faults, [...FAULT_KINDS]);
});

test('pgfailOptionsFrom() narrows to the fault kinds and pairs named, and picks the client', () => {
  const options = pgfailOptionsFrom({ BENCH_PGFAIL_FAULTS: 'power-off, kill-postgres', BENCH_PGFAIL_PAIRS: 'hotstandby+etcd', BENCH_PGFAIL_CLIENT: 'single' });
  assert.deepEqual(options, { faults: ['power-off', 'kill-postgres'], pairs: ['hotstandby+etcd'], client: 'single' });
});

test('pgfailOptionsFrom() rejects unknown names with a RangeError naming the variable and the value', () => {
  assert.throws(() => pgfailOptionsFrom({ BENCH_PGFAIL_FAULTS: 'power-off,poweroff' }), { name: 'RangeError', message: /BENCH_PGFAIL_FAULTS: unknown fault kind 'poweroff'/ });
  assert.throws(() => pgfailOptionsFrom({ BENCH_PGFAIL_PAIRS: 'keepalived' }), { name: 'RangeError', message: /BENCH_PGFAIL_PAIRS: unknown pair 'keepalived'/ });
  assert.throws(() => pgfailOptionsFrom({ BENCH_PGFAIL_CLIENT: 'fast' }), { name: 'RangeError', message: /BENCH_PGFAIL_CLIENT must be 'hedged' or 'single', got 'fast'/ });
});

test('connectSettings(): the single client is one attempt with a 1 s timeout, the hedged one the writers\' defaults', () => {
  assert.deepEqual(connectSettings('single'), { connectHedgeMs: 0, connectTimeoutMs: 1000 });
  assert.deepEqual(connectSettings('hedged'), {});
});

test('pgfailOptionsFrom() takes BENCH_PGFAIL_KEEP_LOGS as an absolute directory and rejects a relative one', () => {
  assert.equal(pgfailOptionsFrom({ BENCH_PGFAIL_KEEP_LOGS: '/tmp/pgfail-logs' }).keepLogsDir, '/tmp/pgfail-logs');
  assert.equal(pgfailOptionsFrom({ BENCH_PGFAIL_KEEP_LOGS: ' ' }).keepLogsDir, undefined);
  assert.throws(() => pgfailOptionsFrom({ BENCH_PGFAIL_KEEP_LOGS: 'logs' }), { name: 'RangeError', message: /BENCH_PGFAIL_KEEP_LOGS must be an absolute directory path, got 'logs'/ });
});
