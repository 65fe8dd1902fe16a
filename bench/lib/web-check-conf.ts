/**
 * Configurations of a web pair whose instance follows the local web server (row 3): one VRRP
 * instance (v3, 0.1 s adverts) tracking a process check, an HTTP check or a curl vrrp_script, as
 * a keepalived.conf (run by both daemons) or as hotstandby's YAML. Every check has weight 0: a
 * failure puts the master in FAULT, so it sends priority 0 and the backup takes over after its
 * Skew_Time (RFC 5798 §6.4.2) — the hand-over is the same for every check, only detection differs.
 */
import type { WebServer } from './web-server.js';

export type WebCheck =
  /** keepalived.conf vrrp_track_process on the server's whole command line. */
  | { kind: 'track-process' }
  /** keepalived.conf vrrp_script running curl on the local server. */
  | { kind: 'curl-script'; intervalS: number; fall: number; rise: number }
  /** YAML `type: process` on the server's pid file. */
  | { kind: 'yaml-process' }
  /** YAML `type: http` on the local server. */
  | { kind: 'yaml-http'; intervalMs: number; timeoutMs: number; fall: number; rise: number };

export interface WebPairSpec {
  priority: number;
  /** With its prefix length. */
  vip: string;
  vrid: number;
  advertIntS: number;
  check: WebCheck;
  /** The web server on the same host. */
  server: WebServer;
}

export function isYamlCheck(check: WebCheck): boolean {
  return check.kind === 'yaml-process' || check.kind === 'yaml-http';
}

/** keepalived.conf text for the track-process and curl-script checks. */
export function webPairKeepalivedConf(spec: WebPairSpec): string {
  const lines = ['global_defs {', '  enable_script_security', '  script_user root', '}'];
  let track: string[];
  switch (spec.check.kind) {
    case 'track-process':
      lines.push('vrrp_track_process chk_web {', `  process ${spec.server.commandLine}`, '}');
      track = ['  track_process {', '    chk_web', '  }'];
      break;
    case 'curl-script':
      lines.push(
        'vrrp_script chk_web {',
        '  script "/usr/bin/curl -sf -o /dev/null -m 1 http://127.0.0.1/"',
        `  interval ${spec.check.intervalS}`,
        `  fall ${spec.check.fall}`,
        `  rise ${spec.check.rise}`,
        '}',
      );
      track = ['  track_script {', '    chk_web', '  }'];
      break;
    default:
      throw new TypeError(`Check '${spec.check.kind}' has no keepalived.conf form here`);
  }
  lines.push(
    'vrrp_instance VI_WEB {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${spec.vrid}`,
    `  priority ${spec.priority}`,
    `  advert_int ${spec.advertIntS}`,
    '  version 3',
    '  virtual_ipaddress {',
    `    ${spec.vip}`,
    '  }',
    ...track,
    '}',
  );
  return `${lines.join('\n')}\n`;
}

/** hotstandby YAML text for the yaml-process and yaml-http checks. */
export function webPairYaml(spec: WebPairSpec): string {
  let check: string[];
  switch (spec.check.kind) {
    case 'yaml-process':
      check = ['    type: process', `    pidFile: ${spec.server.pidFile}`, '    weight: 0'];
      break;
    case 'yaml-http':
      check = [
        '    type: http',
        '    url: http://127.0.0.1/',
        '    expectStatus: 200',
        `    interval: ${spec.check.intervalMs}ms`,
        `    timeout: ${spec.check.timeoutMs}ms`,
        `    fall: ${spec.check.fall}`,
        `    rise: ${spec.check.rise}`,
        '    weight: 0',
      ];
      break;
    default:
      throw new TypeError(`Check '${spec.check.kind}' has no YAML form here`);
  }
  return [
    'instances:',
    '  web:',
    '    interface: eth0',
    `    vrid: ${spec.vrid}`,
    `    priority: ${spec.priority}`,
    '    version: 3',
    `    advertInterval: ${Math.round(spec.advertIntS * 1000)}ms`,
    `    vips: [${spec.vip}]`,
    '    track:',
    '      checks: [web]',
    'checks:',
    '  web:',
    ...check,
    '',
  ].join('\n');
}
