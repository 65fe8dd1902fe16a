import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followTransition, groupFaults, type MemberView, unanimousState } from '../../src/vrrp/sync-group.js';

const group = { name: 'front', instances: ['web', 'db', 'dns'] };
const member = (name: string, state: MemberView['state'], faultSources: string[] = []): MemberView => ({ name, state, faultSources });

test('sync group faults: one member with its own fault holds every other member; a group fault does not echo', () => {
  const faults = groupFaults(group, [member('web', 'FAULT', ['link']), member('db', 'FAULT', ['sync group front']), member('dns', 'BACKUP')]);
  assert.deepEqual(faults, [
    { instance: 'web', source: 'sync group front', reason: undefined },
    { instance: 'db', source: 'sync group front', reason: 'web in sync group front is in FAULT' },
    { instance: 'dns', source: 'sync group front', reason: 'web in sync group front is in FAULT' },
  ]);
  const healed = groupFaults(group, [member('web', 'BACKUP'), member('db', 'FAULT', ['sync group front']), member('dns', 'FAULT', ['sync group front'])]);
  assert.ok(healed.every((f) => f.reason === undefined), 'held only through the group: all clear');
});

test('sync group follow: MASTER takes the others to MASTER, MASTER → BACKUP to BACKUP, nothing else moves them', () => {
  const members = [member('web', 'MASTER'), member('db', 'BACKUP'), member('dns', 'BACKUP')];
  assert.deepEqual(
    followTransition(group, { instance: 'web', from: 'BACKUP', to: 'MASTER' }, members).map((f) => `${f.instance} ${f.to}`),
    ['db MASTER', 'dns MASTER'],
  );
  assert.deepEqual(
    followTransition(group, { instance: 'web', from: 'MASTER', to: 'BACKUP' }, members).map((f) => `${f.instance} ${f.to}`),
    ['db BACKUP', 'dns BACKUP'],
  );
  assert.deepEqual(followTransition(group, { instance: 'web', from: 'FAULT', to: 'BACKUP' }, members), []);
  assert.deepEqual(followTransition(group, { instance: 'web', from: 'MASTER', to: 'FAULT' }, members), [], 'faults spread through groupFaults');
});

test('the group state is one all members share, never INIT', () => {
  assert.equal(unanimousState('MASTER', [member('web', 'MASTER'), member('db', 'MASTER')]), 'MASTER');
  assert.equal(unanimousState('MASTER', [member('web', 'MASTER'), member('db', 'BACKUP')]), undefined);
  assert.equal(unanimousState('INIT', [member('web', 'INIT'), member('db', 'INIT')]), undefined);
});
