/** Where the etcd witness's leader should be (etcd-leader.ts chooseLeader, placeLeader), on member lists as etcd 3.4 gives them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EtcdMember } from '../../../src/resources/postgresql/etcd-gateway.js';
import { chooseLeader, memberHosts, placeLeader } from '../../../src/resources/postgresql/etcd-leader.js';

const member = (id: string, name: string, ip: string): EtcdMember => ({ id, name, peerUrls: [`http://${ip}:2380`], clientUrls: [`http://${ip}:2379`] });
const A = member('11', 'a', '10.0.0.1');
const B = member('22', 'b', '10.0.0.2');
const W = member('33', 'w', '10.0.0.3');
const SELF = new Set(['10.0.0.1', '127.0.0.1']);
const PEER = new Set(['10.0.0.2']);

test('memberHosts() reads the hosts of the peer and client URLs, IPv6 without brackets, and skips what is not a URL', () => {
  assert.deepEqual([...memberHosts({ id: '1', name: 'x', peerUrls: ['http://[FD00::1]:2380', 'nonsense'], clientUrls: ['http://db1.example:2379'] })], ['fd00::1', 'db1.example']);
});

test('chooseLeader(): a leader on this host or the standby\'s goes to the member on neither', () => {
  const fromSelf = chooseLeader([A, B, W], '11', SELF, PEER);
  assert.ok(fromSelf.move);
  assert.equal(fromSelf.target.name, 'w');
  const fromPeer = chooseLeader([A, B, W], '22', SELF, PEER);
  assert.ok(fromPeer.move);
  assert.equal(fromPeer.target.name, 'w');
  assert.deepEqual(chooseLeader([A, B, W], '33', SELF, PEER), { move: false, reason: 'the leader w is on neither database host' });
});

test('chooseLeader(): without a member on neither host, off this host to the standby\'s, and never away from the standby\'s', () => {
  const two = chooseLeader([A, B], '11', SELF, PEER);
  assert.ok(two.move);
  assert.equal(two.target.name, 'b');
  assert.equal(chooseLeader([A, B], '22', SELF, PEER).move, false);
  assert.equal(chooseLeader([A], '11', SELF, PEER).move, false);
  assert.match(chooseLeader([A, B, W], '0', SELF, PEER).reason, /not among the 3 members/);
});

test('placeLeader() checks that the target answers as itself before moving, and asks the leader to move', async () => {
  const calls: string[] = [];
  const fake = (targetAnswersAs: string) => ({
    members: async () => [A, B, W],
    status: async (endpoint: string) => {
      calls.push(`status ${endpoint}`);
      return { memberId: endpoint.includes('10.0.0.3') ? targetAnswersAs : '11', leaderId: '11' };
    },
    moveLeader: async (endpoint: string, target: string) => {
      calls.push(`move ${endpoint} → ${target}`);
    },
  });
  const done = await placeLeader(fake('33'), SELF, PEER);
  assert.equal(done.moved, true);
  assert.deepEqual(calls, ['status http://10.0.0.1:2379', 'status http://10.0.0.3:2379', 'move http://10.0.0.1:2379 → 33']);
  calls.length = 0;
  const refused = await placeLeader(fake('99'), SELF, PEER);
  assert.equal(refused.moved, false);
  assert.match(refused.said, /answers as member 99/);
  assert.ok(!calls.some((c) => c.startsWith('move')), 'no transfer to a member that is not the one listed');
});

test('placeLeader(): the witness host\'s member down, a leader on this host goes to the standby\'s member; one on the standby\'s host never comes here', async () => {
  const calls: string[] = [];
  const fake = (leaderId: string) => ({
    members: async () => [A, B, W],
    status: async (endpoint: string) => {
      calls.push(`status ${endpoint}`);
      if (endpoint.includes('10.0.0.3')) throw new Error('connect ECONNREFUSED 10.0.0.3:2379');
      return { memberId: endpoint.includes('10.0.0.2') ? '22' : '11', leaderId };
    },
    moveLeader: async (endpoint: string, target: string) => {
      calls.push(`move ${endpoint} → ${target}`);
    },
  });
  const fromSelf = await placeLeader(fake('11'), SELF, PEER);
  assert.equal(fromSelf.moved, true);
  assert.match(fromSelf.said, /moved the etcd leader to b, the standby's member: .*w \(http:\/\/10\.0\.0\.3:2379\) does not answer: connect ECONNREFUSED/);
  assert.deepEqual(calls, ['status http://10.0.0.1:2379', 'status http://10.0.0.3:2379', 'status http://10.0.0.2:2379', 'move http://10.0.0.1:2379 → 22']);
  calls.length = 0;
  const fromPeer = await placeLeader(fake('22'), SELF, PEER);
  assert.equal(fromPeer.moved, false);
  assert.match(fromPeer.said, /w \(http:\/\/10\.0\.0\.3:2379\) does not answer/);
  assert.ok(!calls.some((c) => c.startsWith('move')), 'never onto the primary\'s host');
  const choice = chooseLeader([A, B, W], '22', SELF, PEER);
  assert.ok(choice.move);
  assert.equal(choice.fallback, undefined, 'no fallback from the standby\'s host');
});
