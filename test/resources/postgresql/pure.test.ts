/** The postgresql kind's pure parts: eligibility, pg_hba matching, postgresql.auto.conf edits, settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confValue, editAutoConf } from '../../../src/resources/postgresql/conf-files.js';
import { PAIR_MARK, repointPairBlock } from '../../../src/resources/postgresql/pair-hba.js';
import { conninfo } from '../../../src/resources/postgresql/copy.js';
import { decideEligibility, learn, type EligibilityInput } from '../../../src/resources/postgresql/eligibility.js';
import { replicationAllowed, type HbaRule } from '../../../src/resources/postgresql/hba.js';
import { parseLsn } from '../../../src/resources/postgresql/server.js';
import { parsePostgresqlSettings } from '../../../src/resources/postgresql/settings.js';
import { keptWal } from '../../../src/resources/postgresql/copy.js';
import { objectSettings } from './object-settings.js';

const standby = { kind: 'standby' as const, timeline: 2, streaming: true, replayLsn: 100n, receiveLsn: 100n };
const base: EligibilityInput = {
  nodeName: 'b',
  local: standby,
  peer: { kind: 'primary', timeline: 2, lsn: 100n, mySyncState: 'sync', myReplayLsn: 100n },
  bootstrapInitdb: false,
};
const reason = (input: EligibilityInput): string => {
  const e = decideEligibility(input);
  return e.eligible ? 'eligible' : e.reason;
};

describe('decideEligibility()', () => {
  it('the streaming synchronous standby on the current timeline is eligible', () => {
    assert.equal(reason(base), 'eligible');
  });
  it('a potential (not synchronous) standby, one not streaming, or one on an older timeline is not', () => {
    assert.match(reason({ ...base, peer: { kind: 'primary', timeline: 2, lsn: 100n, mySyncState: 'potential' } }), /not the synchronous standby \(sync_state potential\)/);
    assert.match(reason({ ...base, peer: { kind: 'primary', timeline: 2, lsn: 100n } }), /not streaming/);
    assert.match(reason({ ...base, peer: { kind: 'primary', timeline: 3, lsn: 100n, mySyncState: 'sync' } }), /timeline 2 behind 3/);
  });
  it('a copy in progress, an empty directory or a stopped server is not eligible', () => {
    assert.match(reason({ ...base, busy: 'initial copy' }), /initial copy running/);
    assert.match(reason({ ...base, local: { kind: 'empty' } }), /empty data directory/);
    assert.match(reason({ ...base, local: { kind: 'stopped', timeline: 0, wasStandby: true } }), /not running/);
  });
  it('with the primary gone, what was last learnt decides', () => {
    const gone = { ...base, peer: { kind: 'unreachable' as const, error: 'ECONNREFUSED' } };
    assert.match(reason(gone), /never seen/);
    assert.equal(reason({ ...gone, knowledge: { role: 'sync-standby', timeline: 2, peerTimeline: 2 } }), 'eligible');
    assert.match(reason({ ...gone, knowledge: { role: 'behind', timeline: 2, peerTimeline: 2 } }), /not synchronous/);
    assert.match(reason({ ...gone, knowledge: { role: 'sync-standby', timeline: 2, peerTimeline: 3 } }), /timeline 2 behind 3/);
  });
  it('an old primary on an older timeline than the peer is never eligible', () => {
    assert.match(reason({ ...base, local: { kind: 'primary', timeline: 2, lsn: 5n }, peer: { kind: 'standby', timeline: 3 } }), /timeline 2 behind the peer's 3/);
  });
  it('a witness that names another standby vetoes', () => {
    assert.match(reason({ ...base, witness: { record: { primary: 'a', syncStandby: 'c', generation: 4 } } }), /witness names a as primary and c/);
    assert.equal(reason({ ...base, witness: { record: { primary: 'a', syncStandby: 'b', generation: 4 } } }), 'eligible');
  });
  it('maxLagBytes vetoes a standby too far behind', () => {
    assert.match(reason({ ...base, maxLagBytes: 10, peer: { kind: 'primary', timeline: 2, lsn: 200n, mySyncState: 'sync', myReplayLsn: 100n } }), /100 bytes behind/);
  });
  it('bootstrap: initdb lets an empty node start a cluster only when none is known', () => {
    const empty = { ...base, local: { kind: 'empty' as const }, peer: { kind: 'unreachable' as const, error: 'x' }, bootstrapInitdb: true };
    assert.equal(reason(empty), 'eligible');
    assert.match(reason({ ...empty, knowledge: { role: 'primary', timeline: 1, peerTimeline: 0 } }), /a cluster existed/);
  });
  it('learn() records the synchronous standby and the old primary', () => {
    assert.deepEqual(learn(standby, base.peer, undefined), { role: 'sync-standby', timeline: 2, peerTimeline: 2 });
    assert.deepEqual(learn({ kind: 'primary', timeline: 4, lsn: 1n }, { kind: 'unreachable', error: '' }, undefined), { role: 'primary', timeline: 4, peerTimeline: 0 });
    assert.equal(learn(standby, { kind: 'unreachable', error: '' }, undefined), undefined);
  });
});

describe('replicationAllowed()', () => {
  const rule = (n: number, over: Partial<HbaRule>): HbaRule => ({ lineNumber: n, type: 'host', database: ['replication'], userName: ['replicator'], address: '10.0.0.0', netmask: '255.255.255.0', authMethod: 'scram-sha-256', ...over });
  it('the first matching line decides (first match wins, as in pg_hba.conf)', () => {
    assert.deepEqual(replicationAllowed([rule(3, {})], 'replicator', '10.0.0.2'), { allowed: true, line: 3 });
    assert.equal(replicationAllowed([rule(2, { authMethod: 'reject' }), rule(3, {})], 'replicator', '10.0.0.2').allowed, false);
    assert.equal(replicationAllowed([rule(3, {})], 'replicator', '10.0.1.2').allowed, false);
    assert.equal(replicationAllowed([rule(3, { database: ['all'] })], 'replicator', '10.0.0.2').allowed, false, '"all" does not include replication');
    assert.equal(replicationAllowed([rule(3, { userName: ['all'], address: 'fd00::', netmask: 'ffff:ffff:ffff:ffff::' })], 'replicator', 'fd00::2').allowed, true);
    assert.equal(replicationAllowed([rule(3, { type: 'local', address: null })], 'replicator', '10.0.0.2').allowed, false);
  });
});

describe('postgresql.auto.conf and conninfo', () => {
  it('editAutoConf() replaces our keys and keeps the rest', () => {
    const text = "# Do not edit\nsynchronous_standby_names = 'FIRST 1 (\"b\")'\nwork_mem = '8MB'\nprimary_conninfo = 'host=x'\n";
    const out = editAutoConf(text, { primary_conninfo: "host=10.0.0.1 password='it''s'", primary_slot_name: 'hs_b', synchronous_standby_names: null });
    assert.equal(confValue(out, 'work_mem'), '8MB');
    assert.equal(confValue(out, 'primary_conninfo'), "host=10.0.0.1 password='it''s'");
    assert.equal(confValue(out, 'primary_slot_name'), 'hs_b');
    assert.equal(confValue(out, 'synchronous_standby_names'), undefined);
  });
  it('repointPairBlock() makes a clone\'s pair lines name its own peer and leaves other lines alone', () => {
    const hba = `${PAIR_MARK}\nhost replication replicator 10.0.0.2/32 scram-sha-256\n\nlocal all all peer\n`;
    const out = repointPairBlock(hba, ['host replication replicator 10.0.0.1/32 scram-sha-256']);
    assert.equal(out, `${PAIR_MARK}\nhost replication replicator 10.0.0.1/32 scram-sha-256\n\nlocal all all peer\n`);
    assert.equal(repointPairBlock('local all all peer\n', ['x']), 'local all all peer\n', 'a hand-written pg_hba.conf is not touched');
  });
  it('conninfo() quotes values as libpq wants', () => {
    assert.equal(conninfo({ host: 'h', password: "a'b\\c", port: undefined }), "host='h' password='a\\'b\\\\c'");
  });
  it('parseLsn() reads WAL locations', () => {
    assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) + 0xb374d848n);
    assert.equal(parseLsn(null), 0n);
  });
});

describe('parsePostgresqlSettings()', () => {
  const ok = { dataDir: '/var/lib/postgresql/15/main', nodeName: 'a', peer: { name: 'b', host: '10.0.0.2' } };
  it('fills defaults', () => {
    const s = parsePostgresqlSettings(objectSettings('resources.db', ok));
    assert.equal(s.port, 5432);
    assert.equal(s.synchronousCommit, 'on');
    assert.equal(s.peer.port, 5432);
    assert.equal(s.bootstrapInitdb, false);
    assert.equal(s.preallocateWal, true, 'the next WAL segment is made beforehand unless turned off');
    assert.equal(parsePostgresqlSettings(objectSettings('resources.db', { ...ok, preallocateWal: false })).preallocateWal, false);
    assert.deepEqual(keptWal(s), {}, 'by default PostgreSQL\'s own wal_keep_size (the peer\'s slot keeps what a rewind needs)');
    assert.deepEqual(keptWal(parsePostgresqlSettings(objectSettings('resources.db', { ...ok, walKeepMB: 64 }))), { wal_keep_size: '64MB' }, 'asked for, written');
  });
  it('names the key of a bad value', () => {
    const bad = (over: Record<string, unknown>) => () => parsePostgresqlSettings(objectSettings('resources.db', { ...ok, ...over }));
    assert.throws(bad({ dataDir: 'relative' }), /resources\.db\.dataDir: must be an absolute path/);
    assert.throws(bad({ synchronousCommit: 'local' }), /resources\.db\.synchronousCommit: .*can lose acknowledged commits/);
    assert.throws(bad({ port: 70000 }), /resources\.db\.port/);
    assert.throws(bad({ peer: undefined }), /resources\.db\.peer: is required/);
    assert.throws(bad({ peer: { name: 'a' } }), /this node's own nodeName/);
    assert.throws(bad({ nodeName: 'bad name' }), /resources\.db\.nodeName/);
    assert.throws(bad({ preallocateWal: 'sometimes' }), /resources\.db\.preallocateWal/);
    assert.throws(bad({ walKeepMB: -1 }), /resources\.db\.walKeepMB/);
  });
});
