/**
 * global.mail (keepalived's email keywords) and global.webhooks: read from both front ends alike,
 * keepalived's defaults and precedence (smtp_alert_vrrp over smtp_alert, the instance's own over
 * both), and refusals naming file, line and key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactConfig } from '../../src/api/redact.js';
import { planGlobals } from '../../src/daemon/reload-globals.js';
import { conf, instanceConf, instanceYaml, yaml } from './helpers.js';

const SECRET = 'webhook-secret-0123456789abcdef';

test('keepalived global_defs email keywords become global.mail, as YAML global.mail does', async () => {
  const text = `global_defs {
  notification_email {
    ops@example.net
    oncall@example.net
  }
  notification_email_from lb1@example.net
  smtp_server mail.example.net 587
  smtp_helo_name lb1.example.net
  smtp_connect_timeout 10
  smtp_alert
  no_email_faults
}
${instanceConf('')}`;
  const fromConf = (await conf(text)).config;
  const fromYaml = yaml(`global:
  mail:
    to: [ops@example.net, oncall@example.net]
    from: lb1@example.net
    server: mail.example.net:587
    heloName: lb1.example.net
    connectTimeout: 10s
    alert: true
    faults: false
${instanceYaml('')}`).config;
  const expected = {
    to: ['ops@example.net', 'oncall@example.net'],
    from: 'lb1@example.net',
    server: { host: 'mail.example.net', port: 587 },
    heloName: 'lb1.example.net',
    connectTimeoutMs: 10_000,
    alert: true,
    faults: false,
    starttls: false,
  };
  assert.deepEqual(fromConf.global.mail, expected);
  assert.deepEqual(fromYaml.global.mail, expected);
  // The global smtp_alert is every instance's default.
  assert.equal(fromConf.instances[0]?.smtpAlert, true);
  assert.equal(fromYaml.instances[0]?.smtpAlert, true);
});

test('smtp_alert precedence: the instance and the sync group over smtp_alert_vrrp over smtp_alert; off by default', async () => {
  const base = 'global_defs {\n notification_email {\n  a@example.net\n }\n smtp_server 127.0.0.1\n';
  const none = (await conf(`${base}}\n${instanceConf('')}`)).config;
  assert.equal(none.instances[0]?.smtpAlert, undefined, 'off unless asked (keepalived)');
  const vrrpOff = (await conf(`${base} smtp_alert\n smtp_alert_vrrp off\n}\n${instanceConf('')}`)).config;
  assert.equal(vrrpOff.global.mail?.alert, false);
  assert.equal(vrrpOff.instances[0]?.smtpAlert, undefined);
  const own = (await conf(`${base} smtp_alert\n}\n${instanceConf('    smtp_alert off\n')}`)).config;
  assert.equal(own.instances[0]?.smtpAlert, undefined);
  const group = (await conf(`${base}}\n${instanceConf('')}${instanceConf('', 'VI_2').replace('virtual_router_id 51', 'virtual_router_id 52')}vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n smtp_alert\n}\n`)).config;
  assert.equal(group.syncGroups[0]?.smtpAlert, true);
});

test('mail settings are refused with file, line and key when they cannot work', async () => {
  await assert.rejects(conf(`global_defs {\n smtp_server mail.example.net 99999\n}\n${instanceConf('')}`), /keepalived\.conf:2: smtp_server: SMTP port "99999" is out of range/);
  await assert.rejects(conf(`global_defs {\n smtp_server bad_host\n}\n${instanceConf('')}`), /keepalived\.conf:2: smtp_server: "bad_host" is not a host name/);
  await assert.rejects(conf(`global_defs {\n notification_email_from "a b@example.net"\n}\n${instanceConf('')}`), /keepalived\.conf:2: notification_email_from: .* is not a mail address/);
  assert.throws(() => yaml(`global:\n  mail:\n    to: ['<x>@example.net']\n${instanceYaml('')}`), /hotstandby\.yaml:3: global\.mail\.to\[0\]: "<x>@example\.net" is not a mail address/);
  assert.throws(() => yaml(`global:\n  mail:\n    smtp_server: x\n${instanceYaml('')}`), /Unknown key "smtp_server" \(did you mean 'server'\?\)/);
  // keepalived makes 0 one second.
  assert.equal((await conf(`global_defs {\n smtp_connect_timeout 0\n}\n${instanceConf('')}`)).config.global.mail?.connectTimeoutMs, 1000);
});

test('global.webhooks: defaults, event kinds, secrets of 16+ characters, http(s) only', () => {
  const hooks = yaml(`global:
  webhooks:
    ops:
      url: https://hooks.example.net/hs
      secret: ${SECRET}
    chat:
      url: http://127.0.0.1:9000/x
      events: [transition, backup*]
      timeout: 2s
      retries: 0
${instanceYaml('')}`).config.global.webhooks;
  assert.deepEqual(hooks, [
    { name: 'ops', url: 'https://hooks.example.net/hs', secret: SECRET, events: ['transition', 'split-brain', 'address-conflict', 'check', 'resource*', 'replication*', 'backup*'], timeoutMs: 5000, retries: 5 },
    { name: 'chat', url: 'http://127.0.0.1:9000/x', events: ['transition', 'backup*'], timeoutMs: 2000, retries: 0 },
  ]);
  const hook = (body: string) => yaml(`global:\n  webhooks:\n    h:\n${body}\n${instanceYaml('')}`);
  assert.throws(() => hook('      url: ftp://x/'), /global\.webhooks\.h\.url: Webhook URL must be http or https/);
  assert.throws(() => hook('      url: https://x/\n      secret: short'), /global\.webhooks\.h\.secret: Webhook secret must be at least 16 characters/);
  assert.throws(() => hook('      url: https://x/\n      events: [Transition!]'), /is not an event kind/);
  assert.throws(() => hook('      secret: 0123456789abcdef0'), /Webhook "h" has no url/);
  assert.throws(() => hook('      url: https://x/\n      retries: 50'), /Webhook retries 50 is out of range/);
});

test('webhook secrets are redacted in /v1/config and in reload results', () => {
  const config = yaml(`global:\n  webhooks:\n    ops:\n      url: https://u:pw@hooks.example.net/hs\n      secret: ${SECRET}\n${instanceYaml('')}`).config;
  const shown = JSON.stringify(redactConfig(config));
  assert.ok(!shown.includes(SECRET) && !shown.includes(':pw@'), shown);
  const plan = planGlobals({ ...config.global, webhooks: [] }, config.global);
  assert.equal(plan.refused.length, 0);
  assert.ok(plan.changes.length === 1 && !plan.changes[0]?.includes(SECRET), plan.changes.join('\n'));
});
