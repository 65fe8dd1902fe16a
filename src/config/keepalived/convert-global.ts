/**
 * global_defs: the VRRP-relevant settings; the rest of keepalived's many globals are ignored
 * with a reason, or refused when ignoring them would change failover behaviour.
 */
import { ConfigError } from '../config-error.js';
import { located, type GlobalDraft, type Located } from '../draft.js';
import { GLOBAL_FIELDS, GLOBAL_KEYWORDS_WITHOUT_FIELD } from '../fields/global.js';
import type { BlockRules, Handler } from './blocks.js';
import { fieldHandlers } from './fields.js';
import type { ConfNode } from './parser.js';
import { blockWords, keywordOf, noArgs, readCommand, readOptionalBool, readUnsigned, singleArg, type Warn } from './values.js';

const LVS_EMAIL = 'LVS checker alerts: LVS is not part of hotstandby';
const LVS = 'LVS (virtual servers) is not part of hotstandby';
const SNMP = 'SNMP is not supported';
const DBUS = 'D-Bus is not supported';
const SCHEDULING = 'process scheduling and memory locking are left to the system';
const REALTIME =
  'realtime scheduling is not used: a realtime daemon that spins would starve everything else on the machine, its scripts included; hotstandby raises its nice value instead (vrrp_priority, default -10)';
const OTHER_PROCESS = 'hotstandby has no checker or BFD process: checks run in the daemon (vrrp_priority sets its nice value)';
const FIFO = 'priority changes are not written to the notify FIFO';
const FIREWALL = 'no_accept uses hotstandby\'s own nf_tables tables (ip / ip6 hotstandby); their name, priority and counters, and iptables, are not configurable';
const PROCESS = 'keepalived process management has no equivalent';
const BUFFERS = 'socket buffer sizing is not needed';
const RELOAD = 'configuration reload handling is different';
const NOT_IMPLEMENTED_GARP = 'extra gratuitous ARP/NA sending is not implemented';

/** Global keywords that do not change which router becomes master, or when. */
export const IGNORED_GLOBALS: Readonly<Record<string, string>> = {
  smtp_alert_checker: LVS_EMAIL,
  email_faults: 'not a keepalived 2.2.7 keyword (mails for faults are on unless no_email_faults)',
  checker_log_all_failures: LVS,
  lvs_sync_daemon: LVS,
  lvs_timeouts: LVS,
  lvs_flush: LVS,
  lvs_flush_on_stop: LVS,
  lvs_notify_fifo: LVS,
  lvs_notify_fifo_script: LVS,
  lvs_netlink_cmd_rcv_bufs: LVS,
  lvs_netlink_cmd_rcv_bufs_force: LVS,
  lvs_netlink_monitor_rcv_bufs: LVS,
  lvs_netlink_monitor_rcv_bufs_force: LVS,
  rs_init_notifies: LVS,
  no_checker_emails: LVS,
  nftables_ipvs: LVS,
  nftables_ipvs_priority: LVS,
  nftables_ipvs_start_fwmark: LVS,
  net_namespace_ipvs: LVS,
  default_interface: 'it only applies to static addresses',
  snmp_socket: SNMP,
  enable_snmp_vrrp: SNMP,
  enable_snmp_checker: SNMP,
  enable_snmp_rfc: SNMP,
  enable_snmp_rfcv2: SNMP,
  enable_snmp_rfcv3: SNMP,
  enable_snmp_keepalived: SNMP,
  enable_traps: SNMP,
  enable_dbus: DBUS,
  dbus_service_name: DBUS,
  max_auto_priority: SCHEDULING,
  min_auto_priority_delay: SCHEDULING,
  checker_priority: OTHER_PROCESS,
  bfd_priority: OTHER_PROCESS,
  vrrp_no_swap: SCHEDULING,
  checker_no_swap: SCHEDULING,
  bfd_no_swap: SCHEDULING,
  vrrp_cpu_affinity: SCHEDULING,
  checker_cpu_affinity: SCHEDULING,
  bfd_cpu_affinity: SCHEDULING,
  vrrp_rt_priority: REALTIME,
  checker_rt_priority: REALTIME,
  bfd_rt_priority: REALTIME,
  vrrp_rlimit_rttime: REALTIME,
  checker_rlimit_rttime: REALTIME,
  bfd_rlimit_rttime: REALTIME,
  fifo_write_vrrp_states_on_reload: RELOAD,
  vrrp_notify_priority_changes: FIFO,
  nftables: FIREWALL,
  nftables_priority: FIREWALL,
  nftables_counters: FIREWALL,
  nftables_ifindex: FIREWALL,
  vrrp_iptables: FIREWALL,
  vrrp_ipsets: FIREWALL,
  namespace_with_ipsets: FIREWALL,
  disable_local_igmp: FIREWALL,
  instance: PROCESS,
  use_pid_dir: PROCESS,
  child_wait_time: PROCESS,
  process_names: PROCESS,
  process_name: PROCESS,
  vrrp_process_name: PROCESS,
  checker_process_name: PROCESS,
  bfd_process_name: PROCESS,
  startup_script: 'startup and shutdown scripts are not run; use the service manager',
  startup_script_timeout: 'startup and shutdown scripts are not run; use the service manager',
  shutdown_script: 'startup and shutdown scripts are not run; use the service manager',
  shutdown_script_timeout: 'startup and shutdown scripts are not run; use the service manager',
  umask: PROCESS,
  data_use_instance: PROCESS,
  tmp_config_directory: PROCESS,
  config_save_dir: PROCESS,
  random_seed: 'parameter substitution is not supported',
  vrrp_netlink_cmd_rcv_bufs: BUFFERS,
  vrrp_netlink_cmd_rcv_bufs_force: BUFFERS,
  vrrp_netlink_monitor_rcv_bufs: BUFFERS,
  vrrp_netlink_monitor_rcv_bufs_force: BUFFERS,
  process_monitor_rcv_bufs: BUFFERS,
  process_monitor_rcv_bufs_force: BUFFERS,
  vrrp_rx_bufs_policy: BUFFERS,
  vrrp_rx_bufs_multiplier: BUFFERS,
  reload_check_config: RELOAD,
  reload_time_file: RELOAD,
  reload_repeat: RELOAD,
  reload_file: RELOAD,
  include_check: 'every include is checked: a missing file is an error',
  dynamic_interfaces: 'interfaces are looked up when the daemon starts them',
  linkbeat_use_polling: 'link state comes from netlink',
  log_unknown_vrids: 'adverts for unknown VRIDs are counted, not logged',
  vmac_prefix: 'VMAC names are vrrp.VRID unless use_vmac names one',
  vmac_addr_prefix: 'VMACs for addresses on other interfaces are not supported',
  vrrp_garp_extra_if: NOT_IMPLEMENTED_GARP,
  vrrp_garp_extra_if_vmac: NOT_IMPLEMENTED_GARP,
  vrrp_skip_check_adv_addr: 'advert addresses are always checked',
};

/** Global keywords whose absence would change failover behaviour. */
export const REFUSED_GLOBALS: Readonly<Record<string, string>> = {
  net_namespace: 'run hotstandby inside the namespace instead (ip netns exec)',
};

/**
 * keepalived has two FIFOs for VRRP events, notify_fifo (all events) and vrrp_notify_fifo, each
 * with its own reader script; hotstandby writes one. Collected over all global_defs blocks.
 */
export interface NotifyFifoKeywords {
  notify_fifo?: Located<string>;
  vrrp_notify_fifo?: Located<string>;
  notify_fifo_script?: Located<string>;
  vrrp_notify_fifo_script?: Located<string>;
}

type FifoKeyword = keyof NotifyFifoKeywords;

function fifoHandler(keyword: FifoKeyword, fifos: NotifyFifoKeywords, warn: Warn): (node: ConfNode) => void {
  const isScript = keyword.endsWith('_script');
  return (node) => {
    const earlier = fifos[keyword];
    if (earlier) {
      warn(`${keyword} is already set (${earlier.source.file}:${earlier.source.line}); this one is ignored, as keepalived does`, node.source);
      return;
    }
    if (isScript) {
      const { command, extra } = readCommand(node);
      if (extra.length > 0) warn(`User/group "${extra.join(' ')}" of ${keyword} ignored: it runs as the global script user`, node.source);
      fifos[keyword] = command;
      return;
    }
    const [path, ...owner] = node.args;
    if (!path) throw new ConfigError('Expected a FIFO path', node.source, keyword);
    if (owner.length > 0) {
      warn(`User/group "${owner.map((t) => t.text).join(' ')}" of ${keyword} ignored: the FIFO belongs to the user hotstandby runs as`, node.source);
    }
    fifos[keyword] = located(path.text, path.source, keyword);
  };
}

/** The one notify FIFO (and its script) of the model from keepalived's two. */
export function completeNotifyFifo(global: GlobalDraft, fifos: NotifyFifoKeywords, warn: Warn): void {
  const { notify_fifo: all, vrrp_notify_fifo: vrrp } = fifos;
  if (all && vrrp) {
    if (all.value !== vrrp.value) {
      throw new ConfigError(
        `Only one notify FIFO is supported: notify_fifo ${all.value} (${all.source.file}:${all.source.line}) and vrrp_notify_fifo ${vrrp.value} name two; keep one`,
        vrrp.source,
        'vrrp_notify_fifo',
      );
    }
    warn(`notify_fifo and vrrp_notify_fifo name the same FIFO ${vrrp.value}; each line is written once`, vrrp.source);
  }
  const fifo = vrrp ?? all;
  if (fifo) global.notifyFifo = fifo;
  // A script reads its own FIFO; keepalived does not run one whose FIFO is not set.
  const scripts: Located<string>[] = [];
  for (const [script, own] of [['notify_fifo_script', all], ['vrrp_notify_fifo_script', vrrp]] as const) {
    const field = fifos[script];
    if (!field) continue;
    if (!own) {
      warn(`${script} ignored: it reads the ${script.replace('_script', '')} FIFO, which is not set`, field.source);
      continue;
    }
    scripts.push(field);
  }
  const [first, second] = scripts;
  if (first && second && first.value !== second.value) {
    throw new ConfigError('Only one notify FIFO script is supported: notify_fifo_script and vrrp_notify_fifo_script differ; keep one', second.source, second.key);
  }
  if (first) global.notifyFifoScript = first;
}

export function globalRules(warn: Warn, fifos: NotifyFifoKeywords): BlockRules<GlobalDraft> {
  const custom: Record<string, Handler<GlobalDraft>> = {
    script_user: (node, g) => {
      const [user, group, ...extra] = node.args;
      if (!user) throw new ConfigError('Expected a user name', node.source, keywordOf(node));
      if (extra.length > 0) warn(`Extra words after script_user ignored`, node.source);
      g.scriptUser = located(user.text, user.source, keywordOf(node));
      if (group) g.scriptGroup = located(group.text, group.source, keywordOf(node));
      else delete g.scriptGroup;
    },
    notification_email: (node, g) => {
      const mail = (g.mail ??= {});
      // keepalived appends every block's addresses.
      mail.to = [...(mail.to ?? []), ...blockWords(node).map((word) => located(word.text, word.source, 'notification_email'))];
      if (blockWords(node).length === 0) warn('Empty notification_email block', node.source);
    },
    smtp_server: (node, g) => {
      const [host, port, ...extra] = node.args;
      if (!host) throw new ConfigError('Expected an SMTP server: HOST [PORT]', node.source, 'smtp_server');
      if (extra.length > 0) throw new ConfigError(`Unexpected "${extra.map((t) => t.text).join(' ')}" after smtp_server HOST PORT`, node.source, 'smtp_server');
      (g.mail ??= {}).server = located(port ? `${host.text} ${port.text}` : host.text, host.source, 'smtp_server');
    },
    notify_fifo: fifoHandler('notify_fifo', fifos, warn),
    vrrp_notify_fifo: fifoHandler('vrrp_notify_fifo', fifos, warn),
    notify_fifo_script: fifoHandler('notify_fifo_script', fifos, warn),
    vrrp_notify_fifo_script: fifoHandler('vrrp_notify_fifo_script', fifos, warn),
    // keepalived: one GARP/NA, no second burst, no refresh.
    vrrp_min_garp: (node, g) => {
      if (!readOptionalBool(node, warn).value) return;
      g.garp.masterRepeat = located(1, node.source, keywordOf(node));
      g.garp.masterDelayMs = located(0, node.source, keywordOf(node));
      g.garp.masterRefreshMs = located(0, node.source, keywordOf(node));
    },
    // The unicast source check is on by default in hotstandby (see validate-unicast.ts).
    vrrp_check_unicast_src: (node) => {
      noArgs(node, warn);
    },
    vrrp_down_timer_adverts: (node) => {
      const value = readUnsigned(singleArg(node, warn), keywordOf(node));
      if (value.value !== 3) {
        throw new ConfigError('Only the RFC master down interval of 3 adverts is supported', node.source, keywordOf(node));
      }
    },
  };
  return {
    name: 'global_defs',
    handlers: fieldHandlers(GLOBAL_FIELDS, warn, custom, GLOBAL_KEYWORDS_WITHOUT_FIELD),
    ignored: IGNORED_GLOBALS,
    refused: REFUSED_GLOBALS,
  };
}
