/**
 * The classic hot-standby web pair (the "Tomcat pair", here with nginx from Debian): each node
 * serves a page naming itself, hotstandby checks the local server, a client loops GETs on the
 * VIP. Killing the master's web server moves the VIP; restarting it follows the preempt policy.
 * Once with native checks in the YAML config (HTTP, then process), once with an unchanged
 * keepalived.conf whose vrrp_script runs curl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Lab, keepalivedUnavailableReason, labUnavailableReason, nativeAddonUnavailableReason, servesLocalHttp, waitFor, type LabProcess } from '../../src/lab/index.js';
import { readFileSync } from 'node:fs';
import { holders } from './support.js';

const NGINX = '/usr/sbin/nginx';
const skip = labUnavailableReason() ?? nativeAddonUnavailableReason() ?? (existsSync(NGINX) ? undefined : 'needs nginx (apt-get install nginx-light)');
const skipKeepalived = skip ?? keepalivedUnavailableReason();

/** nginx as one process (killing it is killing the server), answering with the node's name. */
function startNginx(lab: Lab, host: string): LabProcess {
  const dir = lab.dir;
  const conf = lab.writeFile(
    `nginx-${host}.conf`,
    `daemon off;
master_process off;
pid ${dir}/nginx-${host}.pid;
error_log ${dir}/nginx-${host}.err;
events { worker_connections 64; }
http {
  access_log off;
  server {
    listen 80;
    location / { return 200 "node ${host}\\n"; }
  }
}
`,
  );
  return lab.spawn(host, [NGINX, '-c', conf], { name: `nginx-${host}` });
}

type CheckStyle = 'http' | 'process';

function yamlConfig(vip: string, priority: number, check: CheckStyle, pidFile: string): string {
  const checkBlock =
    check === 'http'
      ? `  web:
    type: http
    url: http://127.0.0.1/
    expectStatus: 200
    interval: 200ms
    timeout: 150ms
    fall: 2
    rise: 2
    weight: -100`
      : `  web:
    type: process
    pidFile: ${pidFile}
    interval: 3s
    weight: 0`;
  return `instances:
  web:
    interface: eth0
    vrid: 60
    priority: ${priority}
    version: 3
    advertInterval: 100ms
    vips: [${vip}/24]
    track:
      checks: [web]
checks:
${checkBlock}
`;
}

function startHotstandby(lab: Lab, host: string, file: string, kind: 'yaml' | 'keepalived'): LabProcess {
  const flag = kind === 'yaml' ? '--config' : '--keepalived-conf';
  return lab.startDaemon(host, ['run', flag, file, '--runtime-dir', join(lab.dir, `hs-${host}-run`), '--log-format', 'json'], { name: `hs-${host}` });
}

interface Scenario {
  name: string;
  configs: (lab: Lab, vip: string) => { a: string; b: string; kind: 'yaml' | 'keepalived' };
  /** Run keepalived 2.2.7 itself from the keepalived.conf (the baseline the note compares with). */
  realKeepalived?: boolean;
  /** The VIP must move this soon after the kill (a bound only an event, not a poll, can meet). */
  quickDeathMs?: number;
}

function curlKeepalivedConf(lab: Lab, vip: string): { a: string; b: string; kind: 'keepalived' } {
  const conf = (priority: number) => `global_defs {
  enable_script_security
  script_user root
}
vrrp_script chk_web {
  script "/usr/bin/curl -sf -o /dev/null -m 1 http://127.0.0.1/"
  interval 1
  fall 2
  rise 2
  weight -100
}
vrrp_instance VI_WEB {
  state BACKUP
  interface eth0
  virtual_router_id 60
  priority ${priority}
  advert_int 0.1
  version 3
  virtual_ipaddress {
    ${vip}/24
  }
  track_script {
    chk_web
  }
}
`;
  return { a: lab.writeFile('a.conf', conf(150)), b: lab.writeFile('b.conf', conf(100)), kind: 'keepalived' };
}

const scenarios: Scenario[] = [
  {
    name: 'native HTTP check (200 ms, fall 2, weight -100)',
    configs: (lab, vip) => ({
      a: lab.writeFile('a.yaml', yamlConfig(vip, 150, 'http', '')),
      b: lab.writeFile('b.yaml', yamlConfig(vip, 100, 'http', '')),
      kind: 'yaml',
    }),
  },
  {
    name: 'native process check (pid file, weight 0: FAULT; polled only every 3 s: the exit event makes it quick)',
    quickDeathMs: 500,
    configs: (lab, vip) => ({
      a: lab.writeFile('a.yaml', yamlConfig(vip, 150, 'process', join(lab.dir, 'nginx-a.pid'))),
      b: lab.writeFile('b.yaml', yamlConfig(vip, 100, 'process', join(lab.dir, 'nginx-b.pid'))),
      kind: 'yaml',
    }),
  },
  {
    name: 'unchanged keepalived.conf with a curl vrrp_script (interval 1, fall 2)',
    configs: curlKeepalivedConf,
  },
  {
    name: 'baseline: keepalived 2.2.7 itself with the same keepalived.conf',
    configs: curlKeepalivedConf,
    realKeepalived: true,
  },
];

for (const scenario of scenarios) {
  test(`web pair: ${scenario.name}: the web server dies on the master → the VIP moves; restarted → failback`, { skip: scenario.realKeepalived ? skipKeepalived : skip }, async (t) => {
    const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
    t.after(() => lab.destroy());
    const vip = lab.vip4(0);
    let nginxA = startNginx(lab, 'a');
    startNginx(lab, 'b');
    await waitFor(async () => (await servesLocalHttp(lab, 'a')) && (await servesLocalHttp(lab, 'b')), { description: 'nginx serving on a and b' });
    const configs = scenario.configs(lab, vip);
    if (scenario.realKeepalived) {
      await lab.startKeepalived('a', readFileSync(configs.a, 'utf8'));
      await lab.startKeepalived('b', readFileSync(configs.b, 'utf8'));
    } else {
      startHotstandby(lab, 'a', configs.a, configs.kind);
      startHotstandby(lab, 'b', configs.b, configs.kind);
    }
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a', timeoutMs: 20_000 });

    const client = lab.startHttpProber('client', `http://${vip}/`, { intervalMs: 20, timeoutMs: 300 });
    await waitFor(() => client.results.some((r) => r.ok && r.node === 'a'), { description: 'the client served by a' });

    const killedAt = performance.now();
    await nginxA.stop('SIGKILL');
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b after the web server on a died', timeoutMs: 20_000, intervalMs: 10 });
    const movedMs = performance.now() - killedAt;
    await waitFor(() => client.results.slice(-3).every((r) => r.ok && r.node === 'b'), { description: 'the client served by b' });
    t.diagnostic(`VIP on b ${movedMs.toFixed(0)} ms after the web server on a was killed (as seen by polling the addresses)`);
    if (scenario.quickDeathMs !== undefined) {
      assert.ok(movedMs < scenario.quickDeathMs, `the process death took ${movedMs.toFixed(0)} ms to move the VIP`);
    }

    // Restarted: a's check recovers (rise), its priority is back above b's, preempt brings the VIP back.
    nginxA = startNginx(lab, 'a');
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a after nginx restarted', timeoutMs: 20_000 });
    await waitFor(() => client.results.slice(-3).every((r) => r.ok && r.node === 'a'), { description: 'the client served by a again' });
    const report = await client.stop();
    t.diagnostic(`client: ${report.requests} requests, ${report.failed} failed, longest gap ${report.maxGapMs} ms; served by ${report.servedBy.map((s) => `${s.node} ×${s.count}`).join(', ')}`);
    assert.deepEqual(
      report.servedBy.map((s) => s.node),
      ['a', 'b', 'a'],
      'the client was served by a, then b, then a again — never by anyone else',
    );
  });
}
