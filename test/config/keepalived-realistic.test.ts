/**
 * A realistic keepalived.conf (two load balancer instances in a sync group, a third IPv6 one,
 * checks of three kinds, unicast, authentication, a notify FIFO, includes with a glob) converts to
 * the expected model.
 * The expectations were cross-checked against `keepalived -d` (2.2.7) on the same files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadKeepalivedConf } from '../../src/config/keepalived/index.js';
import type { HotstandbyConfig } from '../../src/config/model.js';
import { joinData, withoutSources } from './helpers.js';

const MAIN = joinData('keepalived', 'keepalived.conf');

const garp = { masterDelayMs: 3000, masterRepeat: 5, masterRefreshMs: 60_000, masterRefreshRepeat: 1 };

const expected: HotstandbyConfig = withoutSources({
  global: {
    routerId: 'lb1',
    multicastGroup4: '224.0.0.18',
    multicastGroup6: 'ff02::12',
    scriptUser: 'keepalived_script',
    enableScriptSecurity: true,
    garp: { ...garp, intervalMs: 1 },
    startupDelayMs: 2500,
    processPriority: -10,
    notifyFifo: '/run/keepalived/vrrp.fifo',
    notifyFifoScript: '/usr/local/bin/fifo-reader',
    // notification_email and smtp_server (no smtp_alert in global_defs: only VI_WEB mails).
    mail: { to: ['ops@example.com'], server: { host: '127.0.0.1', port: 25 }, connectTimeoutMs: 30_000, alert: false, faults: true, starttls: false },
  },
  instances: [
    {
      name: 'VI_WEB',
      interface: 'eth0',
      vrid: 51,
      version: 2,
      family: 4,
      priority: 150,
      // state MASTER, but a sync group starts as MASTER only if all members are owners (keepalived 2.2.7).
      initialState: 'BACKUP',
      advertIntervalMs: 1000,
      preempt: true,
      preemptDelayMs: 0,
      accept: true,
      authPass: 's3cret',
      vips: [
        { address: '192.0.2.10', family: 4, prefixLength: 24, device: 'eth0', label: 'eth0:web', scope: 'global', excluded: false },
        { address: '192.0.2.11', family: 4, prefixLength: 32, device: 'eth0', scope: 'global', excluded: false },
        { address: '2001:db8::10', family: 6, prefixLength: 64, device: 'eth0', scope: 'global', excluded: true },
      ],
      unicastSourceAddress: '192.0.2.1',
      unicastPeers: ['192.0.2.2'],
      unicastTtl: 255,
      checkUnicastSource: true,
      unicastPeerTtl: {},
      v3ChecksumExcludesPseudoHeader: false,
      trackInterfaces: [{ name: 'eth1', weight: 0 }],
      trackChecks: [{ name: 'chk_haproxy' }],
      notify: { master: '/etc/keepalived/notify.sh master web', backup: '/etc/keepalived/notify.sh backup web' },
      garp: { ...garp, intervalMs: 1 },
      lowerPriority: { noAdvert: false, garpRepeat: 5, garpDelayMs: 3000 },
      advertOnYield: true,
      smtpAlert: true,
      virtualRoutes: [],
      virtualRules: [],
      trackPrimary: true,
      strict: false,
    },
    {
      name: 'VI_DB',
      interface: 'eth1',
      vrid: 52,
      version: 3,
      family: 4,
      priority: 120,
      initialState: 'BACKUP',
      advertIntervalMs: 500,
      preempt: true,
      preemptDelayMs: 10_000,
      accept: false,
      vips: [
        { address: '198.51.100.20', family: 4, prefixLength: 24, device: 'eth1', broadcast: '198.51.100.255', scope: 'global', excluded: false },
      ],
      unicastPeers: [],
      unicastTtl: 255,
      checkUnicastSource: true,
      unicastPeerTtl: {},
      v3ChecksumExcludesPseudoHeader: false,
      trackInterfaces: [],
      trackChecks: [{ name: 'chk_haproxy' }],
      notify: {},
      garp: { ...garp, masterRepeat: 2, intervalMs: 1 },
      lowerPriority: { noAdvert: false, garpRepeat: 5, garpDelayMs: 3000 },
      advertOnYield: true,
      virtualRoutes: [],
      virtualRules: [],
      trackPrimary: true,
      strict: false,
    },
    {
      name: 'VI_V6',
      interface: 'eth0',
      vrid: 51,
      version: 3,
      family: 6,
      priority: 100,
      initialState: 'BACKUP',
      advertIntervalMs: 1000,
      preempt: true,
      preemptDelayMs: 0,
      accept: true,
      vips: [
        { address: 'fe80::51', family: 6, prefixLength: 128, device: 'eth0', scope: 'global', excluded: false },
        { address: '2001:db8:1::10', family: 6, prefixLength: 64, device: 'eth0', scope: 'global', excluded: false },
      ],
      unicastPeers: [],
      unicastTtl: 255,
      checkUnicastSource: true,
      unicastPeerTtl: {},
      v3ChecksumExcludesPseudoHeader: false,
      trackInterfaces: [],
      trackChecks: [{ name: 'chk_api', weight: -30 }, { name: 'tf_maint' }, { name: 'proc_haproxy' }],
      notify: { generic: '/etc/keepalived/notify-any.sh' },
      // IPv6 instances use vrrp_gna_interval.
      garp: { ...garp, intervalMs: 2 },
      lowerPriority: { noAdvert: false, garpRepeat: 5, garpDelayMs: 3000 },
      advertOnYield: true,
      virtualRoutes: [],
      virtualRules: [],
      trackPrimary: true,
      strict: false,
    },
  ],
  checks: [
    {
      kind: 'exec',
      name: 'chk_haproxy',
      command: ['/usr/local/bin/check-haproxy', '--port', '80', 'front end'],
      intervalMs: 2000,
      timeoutMs: 1000,
      weight: 0,
      rise: 2,
      fall: 3,
      // No user of its own: the global script_user.
      user: 'keepalived_script',
      initFail: false,
    },
    {
      kind: 'exec',
      name: 'chk_api',
      command: ['/usr/local/bin/check-api'],
      intervalMs: 5000,
      timeoutMs: 5000,
      weight: -20,
      rise: 1,
      fall: 1,
      user: 'nobody',
      initFail: true,
    },
    { kind: 'file', name: 'tf_maint', path: '/var/run/lb-maintenance', intervalMs: 1000, timeoutMs: 1000, weight: -50, rise: 1, fall: 1, initFail: false },
    // terminate_delay 2 with a look every second: three failed looks in a row.
    { kind: 'process', name: 'proc_haproxy', match: { name: 'haproxy' }, quorum: 1, intervalMs: 1000, timeoutMs: 1000, weight: 10, rise: 1, fall: 3, initFail: false },
  ],
  syncGroups: [
    {
      name: 'G_FRONT',
      instances: ['VI_WEB', 'VI_DB'],
      notify: { master: '/etc/keepalived/group.sh master', fault: '/etc/keepalived/group.sh fault' },
    },
  ],
} as unknown as HotstandbyConfig);

test('a realistic keepalived.conf with includes converts to the expected model', async () => {
  const { config } = await loadKeepalivedConf(MAIN);
  assert.deepEqual(withoutSources(config), expected);
});

test('sources point into the included files', async () => {
  const { config } = await loadKeepalivedConf(MAIN);
  const byName = new Map(config.instances.map((i) => [i.name, i]));
  assert.deepEqual(byName.get('VI_WEB')?.source, { file: joinData('keepalived', 'conf.d', '10-web.conf'), line: 1 });
  assert.deepEqual(byName.get('VI_DB')?.vips[0]?.source, { file: joinData('keepalived', 'conf.d', '20-db.conf'), line: 10 });
  assert.deepEqual(config.checks[1]?.source, { file: joinData('keepalived', 'scripts.conf'), line: 10 });
  assert.deepEqual(config.checks[3]?.source, { file: joinData('keepalived', 'scripts.conf'), line: 24 });
  assert.deepEqual(config.syncGroups[0]?.source, { file: joinData('keepalived', 'conf.d', '20-db.conf'), line: 38 });
});

test('the realistic file warns about exactly what it cannot honour', async () => {
  const { warnings } = await loadKeepalivedConf(MAIN);
  const where = (w: { source: { file: string; line: number } }): string => `${w.source.file.split('/').pop()}:${w.source.line}`;
  assert.deepEqual(
    warnings.map((w) => `${where(w)} ${w.message}`),
    [
      'scripts.conf:27 terminate_delay 2s becomes fall 3: the process is looked for every 1s (and on process exit), so a process loss counts after 3 looks in a row',
      '10-web.conf:2 Instance "VI_WEB" starts as BACKUP, not MASTER: sync group "G_FRONT" starts as MASTER only when all its instances are address owners (priority 255) starting as MASTER',
    ],
  );
});
