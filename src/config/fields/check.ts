/**
 * Health checks (YAML `checks.<name>` with a `type`; keepalived vrrp_script, track_file,
 * vrrp_track_process): the keys every kind has, then each kind's own. The keepalived check blocks
 * keep their hand-written handlers (keepalived/convert-script.ts, convert-track-*.ts): their
 * keywords differ per block; the tables name them for the docs.
 */
import type { CheckKind } from '../check-model.js';
import { DEFAULT_CHECK_FALL, DEFAULT_CHECK_INTERVAL_MS, DEFAULT_CHECK_RISE, MAX_CHECK_INTERVAL_MS, MAX_CHECK_WEIGHT, MAX_PROCESS_QUORUM, MAX_RISE_FALL } from '../defaults.js';
import type { FieldSpec } from './field.js';

const TIME = { kind: 'duration', minMs: 1, maxMs: MAX_CHECK_INTERVAL_MS } as const;

export const CHECK_COMMON_FIELDS = [
  {
    name: 'intervalMs',
    yaml: 'interval',
    yamlHints: ['delay'],
    keepalived: [{ word: 'interval', read: 'custom', note: '`vrrp_script`: whole seconds, 0 means 1 (warning)' }],
    type: TIME,
    typeDoc: 'duration > 0',
    label: 'Interval',
    default: DEFAULT_CHECK_INTERVAL_MS,
    doc: 'time between two looks; sub-second values (`200ms`) are fine',
  },
  {
    name: 'timeoutMs',
    yaml: 'timeout',
    keepalived: [{ word: 'timeout', read: 'custom', note: '`vrrp_script`: whole seconds, 0 means 1 (warning)' }],
    type: TIME,
    typeDoc: 'duration > 0',
    label: 'Timeout',
    defaultDoc: 'the interval',
    doc: 'one look that takes longer has failed',
  },
  {
    name: 'weight',
    yaml: 'weight',
    keepalived: [{ word: 'weight', read: 'custom', note: '`weight N`; `reverse` is refused; `vrrp_script` -253..253' }],
    type: { kind: 'integer', min: -MAX_CHECK_WEIGHT, max: MAX_CHECK_WEIGHT },
    label: 'Weight',
    defaultDoc: '0 (`file`: 1)',
    doc: '0: a failed check puts every instance that tracks it in FAULT. > 0: added to the priority while healthy. < 0: added while failed.',
  },
  {
    name: 'rise',
    yaml: 'rise',
    keepalived: [{ word: 'rise', read: 'custom' }],
    type: { kind: 'integer', min: 1, max: MAX_RISE_FALL },
    typeDoc: 'integer >= 1',
    label: 'Rise',
    default: DEFAULT_CHECK_RISE,
    doc: 'successes in a row that make a failed check healthy',
  },
  {
    name: 'fall',
    yaml: 'fall',
    keepalived: [{ word: 'fall', read: 'custom' }],
    type: { kind: 'integer', min: 1, max: MAX_RISE_FALL },
    typeDoc: 'integer >= 1',
    label: 'Fall',
    default: DEFAULT_CHECK_FALL,
    doc: 'failures in a row that make a healthy check fail',
  },
  {
    name: 'initFail',
    yaml: 'initFail',
    yamlHints: ['init_fail'],
    keepalived: [{ word: 'init_fail', read: 'custom' }],
    type: { kind: 'boolean' },
    default: false,
    doc: 'start failed (until `rise` successes) instead of healthy',
  },
] as const satisfies readonly FieldSpec[];

export const EXEC_CHECK_FIELDS = [
  {
    name: 'command',
    yaml: 'command',
    yamlHints: ['script', 'cmd'],
    keepalived: [{ word: 'script', read: 'custom' }],
    type: { kind: 'custom', text: 'command line string or list of words' },
    defaultDoc: 'required',
    doc: 'healthy when it exits with status 0',
  },
  {
    name: 'user',
    yaml: 'user',
    keepalived: [{ word: 'user', read: 'custom', note: '`user USER [GROUP]`' }],
    type: { kind: 'string' },
    typeDoc: 'user name',
    defaultDoc: '`global.scriptUser`',
    doc: 'run as this user',
  },
  {
    name: 'group',
    yaml: 'group',
    type: { kind: 'string' },
    typeDoc: 'group name',
    defaultDoc: "the user's own group (`global.scriptGroup` without `user`)",
    doc: 'keepalived `user USER GROUP`',
  },
] as const satisfies readonly FieldSpec[];

export const HTTP_CHECK_FIELDS = [
  {
    name: 'url',
    yaml: 'url',
    type: { kind: 'string' },
    typeDoc: '`http://` or `https://` URL',
    defaultDoc: 'required',
    doc: 'the host may be a name, an IPv4 address or a bracketed IPv6 address',
  },
  {
    name: 'expectStatus',
    yaml: 'expectStatus',
    yamlHints: ['status', 'status_code', 'expect'],
    type: { kind: 'custom', text: '`200`, `"200-299"`, `"2xx"`, `"200, 301"` or a list of these' },
    defaultDoc: '`200-299`',
    doc: 'statuses 100..599',
  },
  {
    name: 'bodyRegex',
    yaml: 'bodyRegex',
    yamlHints: ['regex'],
    type: { kind: 'string' },
    typeDoc: 'JavaScript regular expression',
    defaultDoc: 'none',
    doc: 'must match somewhere in the body',
  },
  {
    name: 'tlsVerify',
    yaml: 'tlsVerify',
    yamlHints: ['verify'],
    type: { kind: 'boolean' },
    default: true,
    doc: "https only: check the server's certificate",
  },
  {
    name: 'hostHeader',
    yaml: 'hostHeader',
    yamlHints: ['host_header', 'virtualhost'],
    type: { kind: 'string' },
    typeDoc: 'host name (`name` or `name:port`)',
    defaultDoc: "the URL's",
    doc: 'the Host header (and TLS server name), for a virtual host behind an address',
  },
] as const satisfies readonly FieldSpec[];

export const TCP_CHECK_FIELDS = [
  { name: 'host', yaml: 'host', type: { kind: 'string' }, typeDoc: 'IP address or host name', defaultDoc: 'required', doc: 'where to connect' },
  { name: 'port', yaml: 'port', type: { kind: 'integer', min: 1, max: 65_535 }, label: 'Port', defaultDoc: 'required', doc: 'the TCP port' },
] as const satisfies readonly FieldSpec[];

export const PROCESS_CHECK_FIELDS = [
  {
    name: 'processName',
    yaml: 'process',
    yamlHints: ['name', 'processName'],
    keepalived: [{ word: 'process', read: 'custom', note: '`process NAME`' }],
    type: { kind: 'string' },
    typeDoc: 'process name',
    defaultDoc: 'one of these three',
    doc: 'compared exactly with the name the kernel keeps (`/proc/PID/comm`, as `ps -o comm` shows it: `nginx`, `java`); the kernel keeps 15 bytes, so only the first 15 of a longer name count (warning). A path is an error: use `commandLine`',
  },
  {
    name: 'commandLine',
    yaml: 'commandLine',
    yamlHints: ['param_match', 'full_command', 'cmdline'],
    keepalived: [{ word: 'param_match', read: 'custom', note: '`process PROGRAM PARAMS...` with `param_match` or `full_command`' }],
    type: { kind: 'string' },
    defaultDoc: 'one of these three',
    doc: 'compared exactly with the arguments joined by single spaces (as `ps -o args` shows them)',
  },
  {
    name: 'pidFile',
    yaml: 'pidFile',
    yamlHints: ['pidfile'],
    type: { kind: 'string' },
    typeDoc: 'absolute path',
    defaultDoc: 'one of these three',
    doc: 'the process whose pid the file holds must be running (no keepalived equivalent)',
  },
  {
    name: 'quorum',
    yaml: 'quorum',
    keepalived: [{ word: 'quorum', read: 'custom' }],
    type: { kind: 'integer', min: 1, max: MAX_PROCESS_QUORUM },
    label: 'Quorum',
    default: 1,
    doc: 'processes that must match; with `pidFile`, 1',
  },
] as const satisfies readonly FieldSpec[];

export const FILE_CHECK_FIELDS = [
  {
    name: 'path',
    yaml: 'path',
    yamlHints: ['file'],
    keepalived: [{ word: 'file', read: 'custom' }],
    type: { kind: 'string' },
    typeDoc: 'absolute path',
    defaultDoc: 'required',
    doc: 'the file that holds the number',
  },
] as const satisfies readonly FieldSpec[];

export const INTERFACE_CHECK_FIELDS = [
  {
    name: 'interface',
    yaml: 'interface',
    yamlHints: ['iface'],
    type: { kind: 'string' },
    typeDoc: 'interface name',
    defaultDoc: 'required',
    doc: 'at most 15 characters',
  },
] as const satisfies readonly FieldSpec[];

/** Each kind's own fields. */
export const CHECK_KIND_FIELDS: Readonly<Record<CheckKind, readonly FieldSpec[]>> = {
  exec: EXEC_CHECK_FIELDS,
  http: HTTP_CHECK_FIELDS,
  tcp: TCP_CHECK_FIELDS,
  process: PROCESS_CHECK_FIELDS,
  file: FILE_CHECK_FIELDS,
  interface: INTERFACE_CHECK_FIELDS,
};
