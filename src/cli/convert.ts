/**
 * `hotstandby convert FILE`: prints the native YAML equivalent of a keepalived.conf. It writes
 * the validated model back out (so keepalived's defaulting and corrections are already applied),
 * leaving out what the YAML defaults restore, and loading the output gives the same configuration.
 */
import { mailSection } from './convert-mail.js';
import { networkSection } from './convert-network.js';
import { stringify } from 'yaml';
import type { CheckConfig } from '../config/check-model.js';
import {
  DEFAULT_ADVERT_INTERVAL_MS,
  DEFAULT_CHECK_FALL,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_CHECK_RISE,
  DEFAULT_FILE_CHECK_WEIGHT,
  DEFAULT_GARP,
  DEFAULT_HTTP_EXPECT_STATUS,
  DEFAULT_MULTICAST_GROUP4,
  DEFAULT_MULTICAST_GROUP6,
  DEFAULT_PRIORITY,
  DEFAULT_PROCESS_PRIORITY,
  DEFAULT_UNICAST_TTL,
  OWNER_PRIORITY,
} from '../config/defaults.js';
import { formatDuration } from '../config/duration.js';
import type { GarpConfig, HotstandbyConfig, InstanceConfig, NotifyConfig, VipConfig } from '../config/model.js';
import { CONFIG_EXIT, loadCommandFile, printWarnings } from './check-config.js';

const HELP = `usage: hotstandby convert FILE [--keepalived | --yaml]

Prints the native YAML configuration (docs/config.md) equivalent to FILE, a keepalived.conf: the
same instances, checks and sync groups, with keepalived's defaults and corrections applied and
settings that are the YAML defaults left out. Warnings go to stderr. Redirect to keep the result:
  hotstandby convert /etc/keepalived/keepalived.conf > /etc/hotstandby/hotstandby.yaml

  --keepalived / --yaml   the kind of FILE (default: by extension, else by content); a YAML FILE
                          comes out normalised

Exit codes: 0 converted, 1 FILE is not a valid configuration, 2 unreadable file or bad usage.`;

export async function runConvertCommand(argv: string[]): Promise<number> {
  const loaded = await loadCommandFile(argv, { name: 'convert', help: HELP, options: {} });
  if (typeof loaded === 'number') return loaded;
  const { file, outcome } = loaded;
  if (outcome.kind === 'invalid') {
    console.error(`error: ${outcome.error.message}`);
    return CONFIG_EXIT.invalid;
  }
  printWarnings(outcome.loaded.warnings);
  process.stdout.write(configToYaml(outcome.loaded.config, [`Converted from ${file} by hotstandby convert.`]));
  return CONFIG_EXIT.valid;
}

type Plain = Record<string, unknown>;

/** The YAML text of a validated configuration; `header` lines become leading comments. */
export function configToYaml(config: HotstandbyConfig, header: readonly string[] = []): string {
  const naIntervalMs = sharedIpv6Interval(config.instances);
  const document: Plain = {};
  const global = globalSection(config, naIntervalMs);
  if (Object.keys(global).length > 0) document.global = global;
  if (config.checks.length > 0) document.checks = Object.fromEntries(config.checks.map((c) => [c.name, checkSection(c, config)]));
  document.instances = Object.fromEntries(config.instances.map((i) => [i.name, instanceSection(i, config, naIntervalMs)]));
  if (config.syncGroups.length > 0) {
    document.syncGroups = Object.fromEntries(
      config.syncGroups.map((g) => {
        const group: Plain = { instances: [...g.instances] };
        const notify = notifySection(g.notify);
        if (notify) group.notify = notify;
        if (g.smtpAlert) group.smtpAlert = true;
        return [g.name, group];
      }),
    );
  }
  const comments = header.map((line) => `# ${line}\n`).join('');
  return `${comments}${stringify(document, { lineWidth: 0, flowCollectionPadding: true })}`;
}

function globalSection(config: HotstandbyConfig, naIntervalMs: number): Plain {
  const g = config.global;
  const out: Plain = {};
  if (g.routerId !== undefined) out.routerId = g.routerId;
  if (g.multicastGroup4 !== DEFAULT_MULTICAST_GROUP4) out.multicastGroup4 = g.multicastGroup4;
  if (g.multicastGroup6 !== DEFAULT_MULTICAST_GROUP6) out.multicastGroup6 = g.multicastGroup6;
  if (g.scriptUser !== undefined) out.scriptUser = g.scriptUser;
  if (g.scriptGroup !== undefined) out.scriptGroup = g.scriptGroup;
  if (g.enableScriptSecurity) out.enableScriptSecurity = true;
  if (g.startupDelayMs > 0) out.startupDelay = formatDuration(g.startupDelayMs);
  if (g.processPriority !== DEFAULT_PROCESS_PRIORITY) out.processPriority = g.processPriority;
  if (g.notifyFifo !== undefined) out.notifyFifo = g.notifyFifo;
  if (g.notifyFifoScript !== undefined) out.notifyFifoScript = g.notifyFifoScript;
  const garp = garpDifferences(g.garp, DEFAULT_GARP);
  if (naIntervalMs !== 0) garp.naInterval = formatDuration(naIntervalMs);
  if (Object.keys(garp).length > 0) out.garp = garp;
  if (g.mail !== undefined) out.mail = mailSection(g.mail);
  return out;
}

/**
 * The model keeps keepalived's vrrp_gna_interval only inside the IPv6 instances; when they all
 * agree it goes back to global.garp.naInterval, otherwise each instance states its own.
 */
function sharedIpv6Interval(instances: readonly InstanceConfig[]): number {
  const intervals = new Set(instances.filter((i) => i.family === 6).map((i) => i.garp.intervalMs));
  return intervals.size === 1 ? ([...intervals][0] as number) : 0;
}

function garpDifferences(garp: GarpConfig, base: GarpConfig): Plain {
  const out: Plain = {};
  if (garp.masterDelayMs !== base.masterDelayMs) out.masterDelay = formatDuration(garp.masterDelayMs);
  if (garp.masterRepeat !== base.masterRepeat) out.masterRepeat = garp.masterRepeat;
  if (garp.masterRefreshMs !== base.masterRefreshMs) out.masterRefresh = formatDuration(garp.masterRefreshMs);
  if (garp.masterRefreshRepeat !== base.masterRefreshRepeat) out.masterRefreshRepeat = garp.masterRefreshRepeat;
  if (garp.intervalMs !== base.intervalMs) out.interval = formatDuration(garp.intervalMs);
  return out;
}

function checkSection(check: CheckConfig, config: HotstandbyConfig): Plain {
  const out: Plain = { type: check.kind };
  switch (check.kind) {
    case 'exec':
      out.command = commandValue(check.command);
      // Validation gives a check without a user of its own the global script user, and its
      // group unless the check names one; only a user of its own can go without a group.
      if (check.user === config.global.scriptUser && check.group !== undefined) {
        if (check.group !== config.global.scriptGroup) out.group = check.group;
      } else if (check.user !== config.global.scriptUser || check.group !== config.global.scriptGroup) {
        if (check.user !== undefined) out.user = check.user;
        if (check.group !== undefined) out.group = check.group;
      }
      break;
    case 'http':
      out.url = check.url;
      if (JSON.stringify(check.expectStatus) !== JSON.stringify(DEFAULT_HTTP_EXPECT_STATUS)) {
        out.expectStatus = check.expectStatus.map(([low, high]) => (low === high ? low : `${low}-${high}`));
      }
      if (check.bodyRegex !== undefined) out.bodyRegex = check.bodyRegex;
      if (!check.tlsVerify) out.tlsVerify = false;
      if (check.hostHeader !== undefined) out.hostHeader = check.hostHeader;
      break;
    case 'tcp':
      out.host = check.host;
      out.port = check.port;
      break;
    case 'process':
      if ('name' in check.match) out.process = check.match.name;
      else if ('commandLine' in check.match) out.commandLine = check.match.commandLine;
      else out.pidFile = check.match.pidFile;
      if (check.quorum !== 1) out.quorum = check.quorum;
      break;
    case 'file':
      out.path = check.path;
      break;
    case 'interface':
      out.interface = check.interface;
      break;
  }
  if (check.intervalMs !== DEFAULT_CHECK_INTERVAL_MS) out.interval = formatDuration(check.intervalMs);
  if (check.timeoutMs !== check.intervalMs) out.timeout = formatDuration(check.timeoutMs);
  if (check.weight !== (check.kind === 'file' ? DEFAULT_FILE_CHECK_WEIGHT : 0)) out.weight = check.weight;
  if (check.rise !== DEFAULT_CHECK_RISE) out.rise = check.rise;
  if (check.fall !== DEFAULT_CHECK_FALL) out.fall = check.fall;
  if (check.initFail) out.initFail = true;
  return out;
}

/**
 * A command as one string, quoting words with blanks in single quotes, when splitting it again
 * (src/config/command-line.ts) gives the same words; otherwise as a list of words.
 */
function commandValue(words: readonly string[]): string | string[] {
  const quoted: string[] = [];
  for (const word of words) {
    if (/^[^\s'"\\]+$/.test(word)) quoted.push(word);
    else if (!word.includes("'")) quoted.push(`'${word}'`);
    else return [...words];
  }
  return quoted.join(' ');
}

function instanceSection(instance: InstanceConfig, config: HotstandbyConfig, naIntervalMs: number): Plain {
  const out: Plain = { interface: instance.interface, vrid: instance.vrid };
  if (instance.priority !== DEFAULT_PRIORITY) out.priority = instance.priority;
  // global.version is left at its default 2; IPv6 instances are always 3.
  if (instance.version !== (instance.family === 6 ? 3 : 2)) out.version = instance.version;
  if (instance.initialState !== (instance.priority === OWNER_PRIORITY ? 'MASTER' : 'BACKUP')) out.initialState = instance.initialState;
  if (instance.advertIntervalMs !== DEFAULT_ADVERT_INTERVAL_MS) out.advertInterval = formatDuration(instance.advertIntervalMs);
  if (!instance.preempt) out.preempt = false;
  if (instance.preemptDelayMs > 0) out.preemptDelay = formatDuration(instance.preemptDelayMs);
  if (!instance.accept) out.accept = false;
  if (instance.authPass !== undefined) out.auth = { password: instance.authPass };
  const vips = instance.vips.filter((v) => !v.excluded).map((v) => vipValue(v, instance.interface));
  const excluded = instance.vips.filter((v) => v.excluded).map((v) => vipValue(v, instance.interface));
  if (vips.length > 0) out.vips = vips;
  if (excluded.length > 0) out.excludedVips = excluded;
  const unicast: Plain = {};
  if (instance.unicastSourceAddress !== undefined) unicast.source = instance.unicastSourceAddress;
  if (instance.unicastPeers.length > 0) {
    unicast.peers = instance.unicastPeers.map((address) => {
      const range = instance.unicastPeerTtl[address];
      return range ? { address, minTtl: range.min, maxTtl: range.max } : address;
    });
  }
  if (!instance.checkUnicastSource) unicast.checkSource = false;
  if (instance.unicastTtl !== DEFAULT_UNICAST_TTL) unicast.ttl = instance.unicastTtl;
  if (Object.keys(unicast).length > 0) out.unicast = unicast;
  const track: Plain = {};
  if (instance.trackInterfaces.length > 0) track.interfaces = instance.trackInterfaces.map((t) => (t.weight === 0 ? t.name : { name: t.name, weight: t.weight }));
  if (instance.trackChecks.length > 0) track.checks = instance.trackChecks.map((t) => (t.weight === undefined ? t.name : { name: t.name, weight: t.weight }));
  if (Object.keys(track).length > 0) out.track = track;
  const notify = notifySection(instance.notify);
  if (notify) out.notify = notify;
  if (instance.smtpAlert) out.smtpAlert = true;
  const base: GarpConfig = { ...config.global.garp, intervalMs: instance.family === 4 ? config.global.garp.intervalMs : naIntervalMs };
  const garp = garpDifferences(instance.garp, base);
  if (Object.keys(garp).length > 0) out.garp = garp;
  if (instance.v3ChecksumExcludesPseudoHeader) out.v3ChecksumExcludesPseudoHeader = true;
  Object.assign(out, networkSection(instance));
  return out;
}

/** keepalived's address syntax ("192.0.2.10/24 dev eth1 label eth1:web") with defaults left out. */
function vipValue(vip: VipConfig, instanceInterface: string): string | Plain {
  const parts: Array<[string, string]> = [];
  if (vip.device !== instanceInterface) parts.push(['dev', vip.device]);
  if (vip.label !== undefined) parts.push(['label', vip.label]);
  if (vip.scope !== 'global') parts.push(['scope', vip.scope]);
  if (vip.broadcast !== undefined) parts.push(['brd', vip.broadcast]);
  const defaultPrefix = vip.family === 4 ? 32 : 128;
  const address = vip.prefixLength === defaultPrefix ? vip.address : `${vip.address}/${vip.prefixLength}`;
  if (parts.every(([, value]) => /^\S+$/.test(value))) return [address, ...parts.map(([k, v]) => `${k} ${v}`)].join(' ');
  // A value with blanks cannot be one word of the string form.
  const names: Record<string, string> = { dev: 'device', label: 'label', scope: 'scope', brd: 'broadcast' };
  return { address, ...Object.fromEntries(parts.map(([k, v]) => [names[k] as string, v])) };
}

function notifySection(notify: NotifyConfig): Plain | undefined {
  const out: Plain = {};
  for (const key of ['master', 'backup', 'fault', 'stop'] as const) if (notify[key] !== undefined) out[key] = notify[key];
  if (notify.generic !== undefined) out.any = notify.generic;
  return Object.keys(out).length > 0 ? out : undefined;
}
