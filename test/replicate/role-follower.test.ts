import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoleFollower, type ReplicationSide } from '../../src/replicate/role-follower.js';

function recordingSides() {
  const log: string[] = [];
  const side = (name: string): ReplicationSide => ({
    start: async () => {
      log.push(`start ${name}`);
    },
    close: async () => {
      log.push(`close ${name}`);
    },
  });
  return { log, sides: { source: () => side('source'), replica: () => side('replica') } };
}

test('RoleFollower: BACKUP starts the replica, MASTER closes it before starting the source, FAULT stops', async () => {
  const { log, sides } = recordingSides();
  const follower = new RoleFollower(sides);
  await follower.stateChanged('BACKUP');
  await follower.stateChanged('MASTER');
  assert.equal(follower.role, 'source');
  await follower.stateChanged('FAULT');
  assert.equal(follower.role, 'idle');
  assert.deepEqual(log, ['start replica', 'close replica', 'start source', 'close source']);
});

test('RoleFollower: a burst of transitions ends in the last role without starting the ones in between twice', async () => {
  const { log, sides } = recordingSides();
  const follower = new RoleFollower(sides);
  void follower.stateChanged('BACKUP');
  void follower.stateChanged('MASTER');
  await follower.stateChanged('MASTER');
  assert.equal(follower.role, 'source');
  assert.equal(log.filter((l) => l === 'start source').length, 1);
  assert.equal(log.at(-1), 'start source');
});

test('RoleFollower: a side that fails to start leaves the node idle, and the next transition tries again', async () => {
  let fail = true;
  const follower = new RoleFollower({
    source: () => ({ start: async () => { if (fail) throw new Error('port in use'); }, close: async () => {} }),
    replica: () => ({ start: async () => {}, close: async () => {} }),
  });
  await follower.stateChanged('MASTER');
  assert.equal(follower.role, 'idle');
  fail = false;
  await follower.stateChanged('BACKUP');
  await follower.stateChanged('MASTER');
  assert.equal(follower.role, 'source');
});
