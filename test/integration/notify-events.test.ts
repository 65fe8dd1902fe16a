/**
 * Notify hooks and the event log on a real daemon: keepalived's generic `notify` script gets
 * TYPE NAME STATE PRIORITY for every state change, notify_master runs on becoming master, and
 * `hotstandby events --json` shows each transition with its reason and each hook's result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { packageRoot } from '../../src/lab/environment.js';
import { holders } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

test('notify hooks run with keepalived arguments, in order, and the event log shows transitions and hooks', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const record = join(lab.dir, 'notify.log');
  const script = lab.writeFile('notify.sh', `#!/bin/sh\necho "$@" >> ${record}\n`);
  chmodSync(script, 0o755);
  const conf = lab.writeFile(
    'a.conf',
    `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 120
  advert_int 0.1
  version 3
  virtual_ipaddress {
    ${vip}/24
  }
  notify ${script}
  notify_master "${script} became-master"
}
`,
  );
  const runtimeDir = join(lab.dir, 'run-a');
  const daemon = lab.startDaemon('a', ['run', '--keepalived-conf', conf, '--runtime-dir', runtimeDir, '--log-format', 'json']);
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a' });
  await waitFor(() => existsSync(record) && readFileSync(record, 'utf8').includes('MASTER'), { description: 'notify ran for MASTER' });
  const lines = () => readFileSync(record, 'utf8').trim().split('\n');
  // keepalived order per change: the state's own script, then the generic one.
  assert.deepEqual(lines(), ['INSTANCE VI_1 BACKUP 120', 'became-master', 'INSTANCE VI_1 MASTER 120']);

  const events = await lab.exec('a', [process.execPath, join(packageRoot(), 'bin', 'hotstandby'), 'events', '--json', '--runtime-dir', runtimeDir]);
  const records = events.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; message: string; instance?: string });
  assert.ok(records.some((r) => r.type === 'transition' && r.instance === 'VI_1' && /BACKUP → MASTER: master-down timer expired/.test(r.message)));
  assert.ok(records.some((r) => r.type === 'hook'), 'hook results are in the event log');

  await daemon.stop('SIGTERM');
  assert.equal(lines().at(-1), 'INSTANCE VI_1 STOP 120', 'STOP on shutdown, before the daemon exits');
});
