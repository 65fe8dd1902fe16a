import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handoverBlocker, type HandoverInput } from '../../../src/resources/postgresql/handover.js';

const primary = { kind: 'primary', timeline: 3, lsn: 1000n } as const;
const syncStreaming = { sync: true, streaming: true, attached: true, currentLsn: 1000n, flushLsn: 1000n, flushLagBytes: 0 };
const ok: HandoverInput = { peerName: 'b', local: primary, replication: syncStreaming, degradedToAsync: false };

test('a primary whose peer streams as the synchronous standby can be handed over', () => {
  assert.equal(handoverBlocker(ok), undefined);
  const record = { primary: 'a', syncStandby: 'b', generation: 7 };
  assert.equal(handoverBlocker({ ...ok, witness: { record, description: 'etcd' } }), undefined, 'and the witness names it');
});

test('every reason the peer could not take over is named', () => {
  const cases: Array<[Partial<HandoverInput>, RegExp]> = [
    [{ local: undefined }, /not observed yet/],
    [{ busy: 'promotion' }, /promotion still running/],
    [{ local: { kind: 'unreachable', error: 'ECONNREFUSED' } }, /not the primary yet \(unreachable\)/],
    [{ replication: undefined }, /cannot read pg_stat_replication/],
    [{ replication: { sync: false, streaming: false, attached: false, currentLsn: 1000n } }, /^b is not connected as a standby/],
    [{ replication: { sync: false, streaming: false, attached: true, currentLsn: 9000n, flushLsn: 1000n, flushLagBytes: 8000 } }, /^b is still catching up \(8000 bytes behind\)/],
    [{ replication: { ...syncStreaming, sync: false } }, /^b streams but is not the synchronous standby/],
    [{ degradedToAsync: true, replication: { ...syncStreaming, sync: false } }, /runs asynchronously \(degraded\)/],
    [{ witness: { record: 'unreachable', description: 'etcd http://10.0.0.3:2379' } }, /witness \(etcd http:\/\/10.0.0.3:2379\) cannot be read/],
    [{ witness: { record: { primary: 'a', syncStandby: null, generation: 4 }, description: 'etcd' } }, /does not name b as the synchronous standby yet \(it names none\)/],
    [{ witness: { record: undefined, description: 'etcd' } }, /does not name b/],
  ];
  for (const [change, expected] of cases) {
    const why = handoverBlocker({ ...ok, ...change });
    assert.match(why ?? '(none)', expected, JSON.stringify(change, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
});
