/**
 * keepalived's settings for a master that hears a lower-priority advert, in both front ends:
 * lower_prio_no_advert, garp_lower_prio_repeat / _delay (global vrrp_* and per instance) and
 * notify_master_rx_lower_pri, with keepalived 2.2.7's defaults and fallbacks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertConfigError, conf, CONF_FILE, instanceConf, instanceYaml, yaml, YAML_FILE } from './helpers.js';

test('defaults: answer, and garp_lower_prio_repeat / _delay follow the global vrrp_garp_master_repeat / _delay', async () => {
  const plain = await conf(instanceConf(''));
  assert.deepEqual(plain.config.instances[0]?.lowerPriority, { noAdvert: false, garpRepeat: 5, garpDelayMs: 5000 });
  const tuned = await conf(`global_defs {\n vrrp_garp_master_repeat 2\n vrrp_garp_master_delay 1\n}\n${instanceConf('    garp_master_repeat 7')}`);
  assert.deepEqual(tuned.config.instances[0]?.lowerPriority, { noAdvert: false, garpRepeat: 2, garpDelayMs: 1000 }, 'the global GARP values, not the instance ones');
  assert.deepEqual(yaml(instanceYaml('')).config.instances[0]?.lowerPriority, { noAdvert: false, garpRepeat: 5, garpDelayMs: 5000 });
});

test('keepalived.conf: global vrrp_* values are instance defaults; instance keywords win; no warnings', async () => {
  const text =
    'global_defs {\n vrrp_lower_prio_no_advert\n vrrp_garp_lower_prio_repeat 3\n vrrp_garp_lower_prio_delay 2\n}\n' +
    instanceConf('    lower_prio_no_advert off\n    garp_lower_prio_repeat 0\n    notify_master_rx_lower_pri "/usr/local/bin/reclaim.sh eth0"', 'A') +
    'vrrp_instance B {\n    interface eth0\n    virtual_router_id 52\n    virtual_ipaddress {\n        192.0.2.11\n    }\n}\n';
  const loaded = await conf(text);
  assert.deepEqual(loaded.warnings, []);
  const [a, b] = loaded.config.instances;
  assert.deepEqual(a?.lowerPriority, { noAdvert: false, garpRepeat: 0, garpDelayMs: 2000 });
  assert.equal(a?.notify.masterRxLowerPri, '/usr/local/bin/reclaim.sh eth0');
  assert.deepEqual(b?.lowerPriority, { noAdvert: true, garpRepeat: 3, garpDelayMs: 2000 });
});

test('YAML: global and instance lowerPriority blocks and notify.masterRxLowerPri', () => {
  const text =
    'global:\n  lowerPriority: { noAdvert: true, garpRepeat: 1 }\n' +
    instanceYaml('    lowerPriority:\n      garpDelay: 500ms\n    notify:\n      masterRxLowerPri: /usr/local/bin/reclaim.sh');
  const instance = yaml(text).config.instances[0];
  assert.deepEqual(instance?.lowerPriority, { noAdvert: true, garpRepeat: 1, garpDelayMs: 500 });
  assert.equal(instance?.notify.masterRxLowerPri, '/usr/local/bin/reclaim.sh');
});

test('bad values are refused naming file, line and keyword', async () => {
  await assertConfigError(() => conf(instanceConf('    garp_lower_prio_repeat many')), { file: CONF_FILE, line: 7, key: 'garp_lower_prio_repeat', message: /many/ });
  await assertConfigError(() => conf(instanceConf('    lower_prio_no_advert maybe')), { file: CONF_FILE, line: 7, key: 'lower_prio_no_advert', message: /maybe/ });
  await assertConfigError(() => yaml(instanceYaml('    lowerPriority:\n      garpRepeat: -1')), { file: YAML_FILE, line: 7, message: /Repeat count -1 is out of range/ });
  await assertConfigError(() => yaml(`${instanceYaml('')}syncGroups:\n  g:\n    instances: [web]\n    notify:\n      masterRxLowerPri: /bin/true`), {
    file: YAML_FILE,
    line: 11,
    message: /masterRxLowerPri/,
  });
});
