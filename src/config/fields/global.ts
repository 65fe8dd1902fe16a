/**
 * The global settings (YAML `global:`, keepalived `global_defs`).
 */
import { DEFAULT_MULTICAST_GROUP4, DEFAULT_MULTICAST_GROUP6, DEFAULT_PROCESS_PRIORITY, MAX_STARTUP_DELAY_MS } from '../defaults.js';
import type { FieldSpec, KeywordSpec } from './field.js';
import { GLOBAL_GARP_FIELDS } from './garp.js';
import { GLOBAL_LOWER_PRIORITY_FIELDS } from './lower-priority.js';
import { MAIL_FIELDS } from './mail.js';

export const GLOBAL_FIELDS = [
  {
    name: 'routerId',
    yaml: 'routerId',
    keepalived: [{ word: 'router_id', read: 'word' }],
    type: { kind: 'string' },
    defaultDoc: 'none',
    doc: 'a name for this node in logs and the notify FIFO',
  },
  {
    name: 'defaultVersion',
    yaml: 'version',
    keepalived: [{ word: 'vrrp_version', read: 'version' }],
    type: { kind: 'version' },
    default: 2,
    doc: 'VRRP version of IPv4 instances that do not say; IPv6 instances always use 3',
  },
  {
    name: 'multicastGroup4',
    yaml: 'multicastGroup4',
    keepalived: [{ word: 'vrrp_mcast_group4', read: 'word' }],
    type: { kind: 'string' },
    typeDoc: 'IPv4 multicast address',
    default: DEFAULT_MULTICAST_GROUP4,
    doc: 'destination of IPv4 adverts',
  },
  {
    name: 'multicastGroup6',
    yaml: 'multicastGroup6',
    keepalived: [{ word: 'vrrp_mcast_group6', read: 'word' }],
    type: { kind: 'string' },
    typeDoc: 'link-local IPv6 multicast (`ff02::/16`)',
    default: DEFAULT_MULTICAST_GROUP6,
    doc: 'destination of IPv6 adverts',
  },
  {
    name: 'scriptUser',
    yaml: 'scriptUser',
    keepalived: [{ word: 'script_user', read: 'custom', note: '`script_user USER [GROUP]`' }],
    type: { kind: 'string' },
    typeDoc: 'user name',
    defaultDoc: 'none',
    doc: 'exec checks without a `user` run as this user',
  },
  {
    name: 'scriptGroup',
    yaml: 'scriptGroup',
    type: { kind: 'string' },
    typeDoc: 'group name',
    defaultDoc: "the user's own group",
    doc: 'the group of `scriptUser` (keepalived `script_user USER GROUP`)',
  },
  {
    name: 'enableScriptSecurity',
    yaml: 'enableScriptSecurity',
    keepalived: [{ word: 'enable_script_security', read: 'flag-true' }],
    type: { kind: 'boolean' },
    default: false,
    doc: 'refuse scripts that a non-root user could change',
  },
  {
    name: 'garp',
    yaml: 'garp',
    type: { kind: 'custom', text: 'mapping' },
    doc: 'GARP / NA defaults for every instance',
    section: GLOBAL_GARP_FIELDS,
  },
  {
    name: 'lowerPriority',
    yaml: 'lowerPriority',
    type: { kind: 'custom', text: 'mapping' },
    doc: 'what a master does when it hears a lower-priority advert; defaults for every instance',
    section: GLOBAL_LOWER_PRIORITY_FIELDS,
  },
  {
    name: 'startupDelayMs',
    yaml: 'startupDelay',
    keepalived: [{ word: 'vrrp_startup_delay', read: 'seconds' }],
    type: { kind: 'duration', minMs: 0, maxMs: MAX_STARTUP_DELAY_MS },
    label: 'Startup delay',
    default: 0,
    doc: 'wait this long after start before running the instances',
  },
  {
    name: 'processPriority',
    yaml: 'processPriority',
    keepalived: [{ word: 'vrrp_priority', read: 'integer', note: "keepalived's nice value of its VRRP process (keepalived's default is 0, hotstandby's -10)" }],
    type: { kind: 'integer', min: -20, max: 19 },
    label: 'Process priority',
    default: DEFAULT_PROCESS_PRIORITY,
    typeDoc: 'nice value -20..19',
    doc: 'the nice value the daemon runs at, and its session\'s autogroup nice, so that a loaded machine still runs the VRRP timers on time; scripts and commands it starts get the priority it was started with, backup workers nice 10 (see docs/operations.md, Scheduling priority). A reload applies a changed value. Needs CAP_SYS_NICE; without it a warning',
  },
  {
    name: 'notifyFifo',
    yaml: 'notifyFifo',
    keepalived: [
      { word: 'notify_fifo', read: 'custom', note: '`notify_fifo PATH [USER [GROUP]]`' },
      { word: 'vrrp_notify_fifo', read: 'custom', note: 'the same FIFO as `notify_fifo` or none; two FIFOs are refused. The owner is ignored (warning)' },
    ],
    type: { kind: 'string' },
    typeDoc: 'absolute path',
    defaultDoc: 'none',
    doc: 'a FIFO that gets one line per state change (`INSTANCE "web" MASTER 150`)',
  },
  {
    name: 'notifyFifoScript',
    yaml: 'notifyFifoScript',
    keepalived: [
      { word: 'notify_fifo_script', read: 'custom' },
      { word: 'vrrp_notify_fifo_script', read: 'custom', note: 'a script whose own FIFO keyword is not set is ignored (warning); two different scripts are refused' },
    ],
    type: { kind: 'string' },
    typeDoc: 'command line',
    defaultDoc: 'none',
    doc: 'started with the FIFO path appended, to read it; ignored (warning) without `notifyFifo`',
  },
  {
    name: 'strict',
    yaml: 'strict',
    keepalived: [{ word: 'vrrp_strict', read: 'optional-bool', note: "`[BOOL]`: keepalived's strict-mode checks and resets" }],
    type: { kind: 'boolean' },
    default: false,
    doc: "keepalived's `vrrp_strict`: the default of every instance's `strict` (see [Routes, rules, VMACs, strict mode](#routes-rules-vmacs-strict-mode-and-accept-mode))",
  },
  {
    name: 'advertOnYield',
    yaml: 'advertOnYield',
    keepalived: [{ word: 'vrrp_higher_prio_send_advert', read: 'optional-bool', note: '`[BOOL]`; keepalived\'s default is off' }],
    type: { kind: 'boolean' },
    default: true,
    doc: 'the default of every instance\'s `advertOnYield` (on: see [Healed splits](#healed-splits))',
  },
  {
    name: 'web',
    yaml: 'web',
    type: { kind: 'custom', text: 'mapping' },
    defaultDoc: 'off',
    doc: 'the control API and dashboard on TCP: `listen`, `tlsCert`, `tlsKey`, `insecure`, `readToken`, `adminToken`, `allowedHosts` (docs/dashboard.md); hotstandby only',
  },
  {
    name: 'mail',
    yaml: 'mail',
    type: { kind: 'custom', text: 'mapping' },
    doc: "keepalived's `smtp_alert` mails: recipients, sender, SMTP server (docs/notifications.md)",
    section: MAIL_FIELDS,
  },
  {
    name: 'webhooks',
    yaml: 'webhooks',
    type: { kind: 'custom', text: 'mapping of names to `url`, `secret`, `events`, `timeout`, `retries`, `caFile`' },
    defaultDoc: 'none',
    doc: 'JSON POSTs of event-log records, signed with HMAC-SHA256 (docs/notifications.md); hotstandby only',
  },
  {
    name: 'peerApi',
    yaml: 'peerApi',
    type: { kind: 'custom', text: 'mapping: `url`, `readToken`, `caFile`, `timeout`, `interval`' },
    defaultDoc: 'none',
    doc: "the peer's control API, for the dashboard's \"as the peer reports itself\" (docs/dashboard.md); hotstandby only",
  },
] as const satisfies readonly FieldSpec[];

/** global_defs keywords that set no field of their own. */
export const GLOBAL_KEYWORDS_WITHOUT_FIELD: readonly KeywordSpec[] = [
  { word: 'vrrp_min_garp', read: 'custom', note: '`[BOOL]`: GARP repeat 1, no second burst, no refresh' },
  { word: 'vrrp_down_timer_adverts', read: 'custom', note: 'accepted only with the RFC value 3' },
  { word: 'vrrp_check_unicast_src', read: 'custom', note: 'accepted: hotstandby checks the source of unicast adverts anyway (see Receiving adverts)' },
];
