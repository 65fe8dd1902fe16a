/**
 * The etcd witness against a real 3-member etcd 3.4 cluster in lab hosts: compare-and-swap on the
 * one record, a member cut off from the quorum wins nothing, and of concurrent claimants exactly
 * one wins (seeded delays; HOTSTANDBY_WITNESS_SEED=N replays).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Lab, waitFor } from '../../../src/lab/index.js';
import { etcdUnavailableReason } from '../../../src/lab/environment.js';
import { EtcdCluster } from '../../../src/lab/etcd.js';
import { nodeEntryCommand } from '../../../src/lab/node-entry.js';
import type { WitnessOperationConfig, WitnessOutcome, WitnessRaceConfig } from '../../../src/lab/witness-client.js';
import { parsePrimaryRecord } from '../../../src/resources/postgresql/witness-etcd.js';
import type { PrimaryRecord } from '../../../src/resources/postgresql/witness.js';
import { seedFromEnv } from '../../support/seeded-random.js';

const skip = etcdUnavailableReason() ?? false;
const clientModule = new URL('../../../src/lab/witness-client.js', import.meta.url).href;

let lab: Lab | undefined;
let etcd: EtcdCluster | undefined;

before(async () => {
  if (skip) return;
  lab = await Lab.create({ hosts: ['a', 'b', 'w'], ipv6: false });
  etcd = await EtcdCluster.start(lab, ['a', 'b', 'w']);
});
after(async () => {
  await lab?.destroy();
});

async function operation(host: string, config: Omit<WitnessOperationConfig, 'key'> & { key?: string }): Promise<WitnessOutcome> {
  const { stdout } = await (lab as Lab).exec(host, nodeEntryCommand(clientModule, 'witnessOperation', { key: '/test/one', ...config }), { timeoutMs: 20_000 });
  return JSON.parse(stdout) as WitnessOutcome;
}

function won(outcome: WitnessOutcome): boolean {
  assert.ok(outcome.ok, `the witness answered: ${JSON.stringify(outcome)}`);
  return outcome.won === true;
}

test('parsePrimaryRecord() names the key and the problem for a value that is not a record', () => {
  assert.deepEqual(parsePrimaryRecord('/k', '{"primary":"a","syncStandby":null,"generation":3}'), { primary: 'a', syncStandby: null, generation: 3 });
  assert.throws(() => parsePrimaryRecord('/k', 'nope'), /etcd key \/k: the witness record is not JSON/);
  assert.throws(() => parsePrimaryRecord('/k', '{"primary":"a","generation":0,"syncStandby":null}'), /etcd key \/k: .*generation/);
  assert.throws(() => parsePrimaryRecord('/k', '{"primary":"","generation":1,"syncStandby":null}'), TypeError);
});

test('claims are compare-and-swaps on the one record: generation counts, a stale expectation loses', { skip, timeout: 60_000 }, async () => {
  const endpoints = (etcd as EtcdCluster).endpoints();
  const empty = await operation('a', { endpoints, op: 'read' });
  assert.deepEqual(empty, { ok: true });

  assert.equal(won(await operation('a', { endpoints, op: 'claim', self: 'a', syncStandby: 'b' })), true);
  const first = await operation('b', { endpoints, op: 'read' });
  assert.ok(first.ok);
  assert.deepEqual(first.record, { primary: 'a', syncStandby: 'b', generation: 1 });

  // b takes over (it read generation 1 and claims against it); a's later claim against what it
  // last knew (generation 1) must lose, since the record has moved on.
  assert.equal(won(await operation('b', { endpoints, op: 'claim', self: 'b', syncStandby: 'a' })), true);
  // The stale claim runs in host a, against generation 1:
  const stale = await (lab as Lab).exec('a', [process.execPath, '--input-type=module', '-e', `
    const { EtcdWitness } = await import(${JSON.stringify(new URL('../../../src/resources/postgresql/witness-etcd.js', import.meta.url).href)});
    const w = new EtcdWitness({ endpoints: ${JSON.stringify(endpoints)}, key: '/test/one' });
    const old = { primary: 'a', syncStandby: 'b', generation: 1 };
    console.log(JSON.stringify({ claim: await w.claimPrimary('a', 'b', old), async: await w.allowAsync('a', old), now: await w.read() }));
  `]);
  assert.deepEqual(JSON.parse(stale.stdout), { claim: false, async: false, now: { primary: 'b', syncStandby: 'a', generation: 2 } });

  // Going asynchronous is itself a swap won by the recorded primary only.
  assert.equal(won(await operation('a', { endpoints, op: 'allow-async', self: 'a' })), false);
  const degraded = await operation('b', { endpoints, op: 'allow-async', self: 'b' });
  assert.equal(won(degraded), true);
  assert.ok(degraded.ok);
  assert.deepEqual(degraded.record, { primary: 'b', syncStandby: null, generation: 3 });
});

test('a member cut off from the quorum can neither read nor win a claim; the majority side can', { skip, timeout: 90_000 }, async () => {
  const l = lab as Lab;
  const cluster = etcd as EtcdCluster;
  const key = '/test/split';
  assert.equal(won(await operation('a', { endpoints: cluster.endpoints(), key, op: 'claim', self: 'a', syncStandby: 'b' })), true);

  await l.cutLink('a');
  try {
    // a only reaches its own member now (as a real node in a split would).
    const isolated = await operation('a', { endpoints: cluster.endpoints(['a']), key, op: 'claim', self: 'a', syncStandby: null, requestTimeoutMs: 1500 });
    assert.equal(isolated.ok, false, `an isolated member must not answer: ${JSON.stringify(isolated)}`);
    const isolatedAsync = await operation('a', { endpoints: cluster.endpoints(['a']), key, op: 'allow-async', self: 'a', requestTimeoutMs: 1500 });
    assert.equal(isolatedAsync.ok, false);

    // b, with the witness host, is the majority: it wins the record at once (no lease to wait for).
    const started = Date.now();
    const claim = await operation('b', { endpoints: cluster.endpoints(['b', 'w']), key, op: 'claim', self: 'b', syncStandby: null });
    assert.equal(won(claim), true);
    console.log(`# majority-side claim (a node process start included) took ${Date.now() - started} ms`);
  } finally {
    await l.healLink('a');
  }
  // After the heal, a learns it lost: the record names b, generation 2.
  const seen = await waitFor(async () => {
    const outcome = await operation('a', { endpoints: cluster.endpoints(['a']), key, op: 'read' });
    return outcome.ok ? outcome.record : undefined;
  }, { description: 'member a serving reads again after the heal', timeoutMs: 30_000, intervalMs: 300 });
  assert.deepEqual(seen, { primary: 'b', syncStandby: null, generation: 2 } satisfies PrimaryRecord);
});

test('of concurrent claimants against the same record exactly one wins', { skip, timeout: 90_000 }, async () => {
  const seed = seedFromEnv('HOTSTANDBY_WITNESS_SEED');
  console.log(`# HOTSTANDBY_WITNESS_SEED=${seed}`);
  const cluster = etcd as EtcdCluster;
  for (let round = 0; round < 5; round++) {
    const key = `/test/race-${round}`;
    const config: WitnessRaceConfig = { endpoints: cluster.endpoints(), key, claimants: ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'], seed: seed + round };
    // Two processes in two hosts, three claimants each, all against the empty record.
    const half = (host: string, claimants: string[]) =>
      (lab as Lab).exec(host, nodeEntryCommand(clientModule, 'witnessRace', { ...config, claimants }), { timeoutMs: 30_000 });
    const outputs = await Promise.all([half('a', ['a1', 'a2', 'a3']), half('b', ['b1', 'b2', 'b3'])]);
    const results = outputs.flatMap((o) => (JSON.parse(o.stdout) as { results: Array<{ self: string; won?: boolean; error?: string }> }).results);
    const winners = results.filter((r) => r.won === true).map((r) => r.self);
    assert.deepEqual(results.filter((r) => r.error !== undefined), [], `seed ${seed + round}: no claimant failed to reach etcd`);
    assert.equal(winners.length, 1, `seed ${seed + round}: exactly one winner, got ${JSON.stringify(results)}; outputs ${outputs.map((o) => o.stdout).join(" ")}`);
    const final = await operation('w', { endpoints: cluster.endpoints(), key, op: 'read' });
    assert.ok(final.ok);
    assert.deepEqual(final.record, { primary: winners[0], syncStandby: null, generation: 1 }, `seed ${seed + round}`);
  }
});

test('keepLeaderAway() run on the primary\'s host moves the etcd leader from it to the witness host, then leaves it there', { skip, timeout: 90_000 }, async () => {
  const l = lab as Lab;
  const endpoints = (etcd as EtcdCluster).endpoints();
  const gatewayUrl = JSON.stringify(new URL('../../../src/resources/postgresql/etcd-gateway.js', import.meta.url).href);
  const witnessUrl = JSON.stringify(new URL('../../../src/resources/postgresql/witness-etcd.js', import.meta.url).href);
  // In host a (its interfaces are what "this host" means): the leader onto a's member first, as
  // after a's etcd won an election; then the primary's call, with b as its standby.
  const { stdout } = await l.exec('a', [process.execPath, '--input-type=module', '-e', `
    const { EtcdGateway } = await import(${gatewayUrl});
    const { EtcdWitness } = await import(${witnessUrl});
    const etcd = new EtcdGateway({ endpoints: ${JSON.stringify(endpoints)} });
    const members = await etcd.members();
    const by = (ip) => members.find((m) => m.clientUrls.some((u) => u.includes('//' + ip + ':')));
    const [a, w] = [by(${JSON.stringify(l.host('a').ipv4)}), by(${JSON.stringify(l.host('w').ipv4)})];
    const leaderNow = async () => (await etcd.status(a.clientUrls[0])).leaderId;
    const until = async (id) => { for (let i = 0; i < 100 && (await leaderNow()) !== id; i++) await new Promise((r) => setTimeout(r, 100)); return leaderNow(); };
    const first = await leaderNow();
    if (first !== a.id) await etcd.moveLeader(members.find((m) => m.id === first).clientUrls[0], a.id);
    const before = await until(a.id);
    const witness = new EtcdWitness({ endpoints: ${JSON.stringify(endpoints)}, key: '/test/leader' });
    const moved = await witness.keepLeaderAway(${JSON.stringify(l.host('b').ipv4)});
    const after = await until(w.id);
    const again = await witness.keepLeaderAway(${JSON.stringify(l.host('b').ipv4)});
    console.log(JSON.stringify({ before: before === a.id, moved, after: after === w.id, again }));
  `], { timeoutMs: 60_000 });
  const result = JSON.parse(stdout) as { before: boolean; moved: { moved: boolean; said: string }; after: boolean; again: { moved: boolean; said: string } };
  assert.equal(result.before, true, 'the leader was on a\'s member to begin with');
  assert.equal(result.moved.moved, true, result.moved.said);
  assert.match(result.moved.said, /moved the etcd leader to w: the leader a is on this host; w is on neither database host/);
  assert.equal(result.after, true, 'the leader is w\'s member now');
  assert.deepEqual(result.again, { moved: false, said: 'the leader w is on neither database host' });
  // The record still answers (a transfer loses nothing).
  assert.ok((await operation('b', { endpoints, op: 'read' })).ok);
});
