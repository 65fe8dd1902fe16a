/**
 * A VRRP instance (YAML `instances.<name>`, keepalived `vrrp_instance NAME`).
 */
import { DEFAULT_ADVERT_INTERVAL_MS, DEFAULT_PRIORITY, DEFAULT_UNICAST_TTL, MAX_PREEMPT_DELAY_MS, OWNER_PRIORITY, V2_MAX_ADVERT_INTERVAL_MS } from '../defaults.js';
import type { FieldSpec, KeywordSpec } from './field.js';
import { INSTANCE_GARP_FIELDS } from './garp.js';
import { INSTANCE_LOWER_PRIORITY_FIELDS } from './lower-priority.js';

const NOTIFY_DOC = 'a second one of a kind is ignored (warning), as keepalived does';

export const INSTANCE_FIELDS = [
  {
    name: 'interface',
    yaml: 'interface',
    keepalived: [{ word: 'interface', read: 'word' }],
    type: { kind: 'string' },
    defaultDoc: 'required',
    doc: 'at most 15 characters',
  },
  {
    name: 'vrid',
    yaml: 'vrid',
    keepalived: [{ word: 'virtual_router_id', read: 'unsigned' }],
    type: { kind: 'integer', min: 1, max: 255 },
    label: 'Virtual router id',
    defaultDoc: 'required',
    doc: 'unique per interface and address family',
  },
  {
    name: 'priority',
    yaml: 'priority',
    keepalived: [{ word: 'priority', read: 'unsigned' }],
    type: { kind: 'integer', min: 1, max: OWNER_PRIORITY },
    label: 'Priority',
    default: DEFAULT_PRIORITY,
    doc: '255 = address owner',
  },
  {
    name: 'version',
    yaml: 'version',
    keepalived: [{ word: 'version', read: 'version' }],
    type: { kind: 'version' },
    defaultDoc: '`global.version`, 3 for IPv6',
    doc: 'version 2 cannot carry IPv6',
  },
  {
    name: 'initialState',
    yaml: 'initialState',
    keepalived: [
      {
        word: 'state',
        read: 'custom',
        note: '`MASTER|BACKUP`; MASTER then BACKUP keeps MASTER (keepalived). `state MASTER` **without a priority makes the instance the address owner (priority 255)**, as keepalived does (warning)',
      },
    ],
    type: { kind: 'enum', values: ['MASTER', 'BACKUP'] },
    typeDoc: '`MASTER` or `BACKUP` (any case)',
    defaultDoc: '`MASTER` at priority 255, else `BACKUP`',
    doc: 'a start-up hint (RFC 5798 §6.4.1)',
  },
  {
    name: 'advertIntervalMs',
    yaml: 'advertInterval',
    keepalived: [{ word: 'advert_int', read: 'seconds', note: 'fractional seconds; rounded for the version (warning)' }],
    type: { kind: 'duration', minMs: 0, maxMs: V2_MAX_ADVERT_INTERVAL_MS },
    typeDoc: 'duration (the range depends on the version)',
    default: DEFAULT_ADVERT_INTERVAL_MS,
    doc: 'v2: whole seconds 1..255 s; v3: multiples of 10 ms, 10 ms..40.95 s (other values are rounded with a warning, as keepalived does)',
  },
  {
    name: 'preempt',
    yaml: 'preempt',
    keepalived: [
      { word: 'nopreempt', read: 'flag-false' },
      { word: 'preempt', read: 'flag-true' },
    ],
    type: { kind: 'boolean' },
    default: true,
    doc: 'a higher priority takes over from a running master',
  },
  {
    name: 'preemptDelayMs',
    yaml: 'preemptDelay',
    keepalived: [{ word: 'preempt_delay', read: 'seconds' }],
    type: { kind: 'duration', minMs: 0, maxMs: MAX_PREEMPT_DELAY_MS },
    label: 'Preempt delay',
    default: 0,
    doc: 'wait this long before preempting after start',
  },
  {
    name: 'accept',
    yaml: 'accept',
    keepalived: [
      { word: 'accept', read: 'flag-true' },
      { word: 'no_accept', read: 'flag-false' },
    ],
    type: { kind: 'boolean' },
    default: true,
    doc: "RFC 5798 Accept_Mode (keepalived's default is on)",
  },
  {
    name: 'authPass',
    yaml: 'auth.password',
    yamlHints: ['auth_pass'],
    keepalived: [
      {
        word: 'authentication',
        read: 'custom',
        note: '`{ auth_type PASS; auth_pass P }`; `auth_pass` without `auth_type PASS` is ignored (warning), as keepalived does',
      },
    ],
    type: { kind: 'string' },
    typeDoc: 'quoted string',
    defaultDoc: 'none',
    doc: 'VRRPv2 simple text password (RFC 3768 §5.3.6); truncated to 8 characters; write numbers quoted (`"1234"`)',
  },
  {
    name: 'vips',
    yaml: 'vips',
    keepalived: [
      {
        word: 'virtual_ipaddress',
        read: 'custom',
        note: 'one address per line: `/prefix`, `dev`, `label`, `scope`, `brd` (also `+`/`-`); `home`, `-nodad`, `mngtmpaddr`, `autojoin`, `no_track`, `preferred_lft` are ignored with a warning; `peer`, `noprefixroute`, `use_vmac`, `track_group` are refused',
      },
    ],
    type: { kind: 'custom', text: 'list of addresses' },
    defaultDoc: 'none',
    doc: 'advertised; all of one family',
  },
  {
    name: 'excludedVips',
    yaml: 'excludedVips',
    keepalived: [{ word: 'virtual_ipaddress_excluded', read: 'custom', note: 'like `virtual_ipaddress`; `vips` with `excluded: true`' }],
    type: { kind: 'custom', text: 'list of addresses' },
    defaultDoc: 'none',
    doc: 'managed but not advertised; any family',
  },
  {
    name: 'unicastSourceAddress',
    yaml: 'unicast.source',
    yamlHints: ['src'],
    keepalived: [
      { word: 'unicast_src_ip', read: 'word' },
      { word: 'mcast_src_ip', read: 'word', note: 'keepalived uses one source setting for multicast and unicast' },
    ],
    type: { kind: 'string' },
    typeDoc: 'address',
    defaultDoc: 'none',
    doc: 'source of the adverts (also used with multicast)',
  },
  {
    name: 'unicastPeers',
    yaml: 'unicast.peers',
    yamlHints: ['peer'],
    keepalived: [{ word: 'unicast_peer', read: 'custom', note: '`{ ADDR [min_ttl N] [max_ttl N] }`; the TTL limits are ignored with a warning' }],
    type: { kind: 'custom', text: 'list of addresses' },
    defaultDoc: 'none',
    doc: 'empty = multicast',
  },
  {
    name: 'unicastTtl',
    yaml: 'unicast.ttl',
    keepalived: [{ word: 'unicast_ttl', read: 'unsigned' }],
    type: { kind: 'integer', min: 0, max: 255 },
    label: 'Unicast TTL',
    default: DEFAULT_UNICAST_TTL,
    doc: 'TTL / hop limit of unicast adverts',
  },
  {
    name: 'trackChecks',
    yaml: 'track',
    keepalived: [
      {
        word: 'track_script',
        read: 'custom',
        note: '`{ NAME [weight N [noreverse]] }`: exec checks; weight -253..253; `reverse` is refused; other options are errors (keepalived would silently drop the line)',
      },
      { word: 'track_file', read: 'custom', note: '`{ NAME [weight N [noreverse]] }`: file checks; weight -254..254' },
      { word: 'track_process', read: 'custom', note: '`{ NAME [weight N [noreverse]] }`: process checks; weight -254..254' },
    ],
    type: { kind: 'custom', text: 'list of check names or `{name, weight}`' },
    defaultDoc: 'none',
    doc: "the checks of `checks` this instance follows; a weight (-254..254) overrides the check's own; short for `track.checks`",
  },
  {
    name: 'trackChecks',
    yaml: 'track.checks',
    type: { kind: 'custom', text: 'list of names or `{name, weight}`' },
    defaultDoc: 'none',
    doc: 'the same as `track` as a list, when `track.interfaces` is needed too',
  },
  {
    name: 'trackInterfaces',
    yaml: 'track.interfaces',
    keepalived: [{ word: 'track_interface', read: 'custom', note: '`{ IF [weight N [noreverse]] }`; `reverse` is refused' }],
    type: { kind: 'custom', text: 'list of names or `{name, weight}`' },
    defaultDoc: 'none',
    doc: "keepalived's `track_interface`: weight -253..253; 0 = down means FAULT",
  },
  {
    name: 'notify',
    yaml: 'notify.master',
    yamlDoc: '`notify.master` / `backup` / `fault` / `stop`',
    keepalived: [
      { word: 'notify_master', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify_backup', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify_fault', read: 'custom', note: NOTIFY_DOC },
      { word: 'notify_stop', read: 'custom', note: NOTIFY_DOC },
    ],
    type: { kind: 'custom', text: 'command line' },
    defaultDoc: 'none',
    doc: 'run on the transition',
  },
  {
    name: 'notify',
    yaml: 'notify.any',
    keepalived: [{ word: 'notify', read: 'custom', note: NOTIFY_DOC }],
    type: { kind: 'custom', text: 'command line' },
    defaultDoc: 'none',
    doc: "run on every transition with `INSTANCE <name> <state> <priority>` appended (keepalived's `notify`)",
  },
  {
    name: 'notify',
    yaml: 'notify.masterRxLowerPri',
    keepalived: [{ word: 'notify_master_rx_lower_pri', read: 'custom', note: NOTIFY_DOC }],
    type: { kind: 'custom', text: 'command line' },
    defaultDoc: 'none',
    doc: 'run (its own words only) each time the master hears a lower-priority advert; the FIFO gets `INSTANCE "<name>" MASTER_RX_LOWER_PRI <priority>` (keepalived\'s `notify_master_rx_lower_pri`)',
  },
  {
    name: 'garp',
    yaml: 'garp',
    type: { kind: 'custom', text: 'mapping' },
    doc: 'GARP / NA timers of this instance',
    section: INSTANCE_GARP_FIELDS,
  },
  {
    name: 'lowerPriority',
    yaml: 'lowerPriority',
    type: { kind: 'custom', text: 'mapping' },
    doc: 'what this instance does as master when it hears a lower-priority advert',
    section: INSTANCE_LOWER_PRIORITY_FIELDS,
  },
  {
    name: 'v3ChecksumExcludesPseudoHeader',
    yaml: 'v3ChecksumExcludesPseudoHeader',
    keepalived: [{ word: 'v3_checksum_as_v2', read: 'optional-bool', note: '`[BOOL]` (keepalived >= 2.2.8)' }],
    type: { kind: 'boolean' },
    default: false,
    doc: 'IPv4 VRRPv3 checksum without the pseudo-header, for peers that compute it that way (keepalived >= 2.2.8 `v3_checksum_as_v2`)',
  },
] as const satisfies readonly FieldSpec[];

/** vrrp_instance keywords that set no field of their own. */
export const INSTANCE_KEYWORDS_WITHOUT_FIELD: readonly KeywordSpec[] = [
  { word: 'strict_mode', read: 'custom', note: '`off` accepted (`strict_mode` on is refused)' },
  { word: 'down_timer_adverts', read: 'custom', note: 'accepted only with the RFC value 3' },
  { word: 'unicast_fault_no_peer', read: 'custom', note: 'accepted with peers; refused without (keepalived would hold the instance in FAULT)' },
  { word: 'old_unicast_checksum', read: 'custom', note: '`never` accepted (ignored)' },
  { word: 'native_ipv6', read: 'custom', note: 'deprecated; accepted (warning) unless the advertised addresses are IPv4' },
];
