/**
 * A role-following resource (YAML `resources.<name>`; issue 11 §1). The keys every kind shares;
 * each kind's own keys are described by the kind (src/resources/kinds/, ResourceKind.fields).
 * keepalived.conf has no resources: they come from a YAML file next to it (docs/resources.md).
 */
import type { FieldSpec } from './field.js';

const PENALTY_TEXT = '`fault`, or `{ weight: -N }` (-254..-1)';

const timeout = (name: string, defaultMs: number, doc: string) =>
  ({ name, yaml: name, type: { kind: 'duration', minMs: 1, maxMs: 24 * 3600_000 }, label: `${name} timeout`, default: defaultMs, doc }) as const;

export const RESOURCE_TIMEOUT_FIELDS = [
  timeout('start', 60_000, 'bringing it up in the standby shape'),
  timeout('promote', 60_000, 'becoming the active copy; a promote that times out is a failed promote'),
  timeout('demote', 60_000, 'stopping being the active copy; a demote that times out is stopped'),
  timeout('stop', 60_000, 'shutting it down; a stop that times out is fenced (`onStopFailure`); also the fence action\'s limit'),
  timeout('monitor', 10_000, 'one look; a monitor that times out has failed'),
] as const satisfies readonly FieldSpec[];

/** `lagAlarm`: the replication-lag alarm on the lag_seconds / lag_bytes gauges (src/resources/lag-alarm.ts). */
export const LAG_ALARM_FIELDS = [
  {
    name: 'lagMs',
    yaml: 'lag',
    type: { kind: 'duration', minMs: 100, maxMs: 24 * 3600_000 },
    label: 'Lag alarm threshold',
    defaultDoc: 'not watched',
    doc: 'raise when `lag_seconds` (the age of the oldest change not yet on the replica) is above this, e.g. `5s`',
  },
  {
    name: 'bytes',
    yaml: 'bytes',
    type: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER },
    label: 'Lag alarm bytes',
    defaultDoc: 'not watched',
    doc: 'raise when `lag_bytes` (what is still to send, or PostgreSQL replay lag) is above this many bytes',
  },
  { name: 'forMs', yaml: 'for', type: { kind: 'duration', minMs: 0, maxMs: 24 * 3600_000 }, label: 'Lag alarm delay', default: 10_000, doc: 'the lag must stay over the threshold this long (every monitor in between) before the alarm is raised' },
  {
    name: 'clearAfterMs',
    yaml: 'clearAfter',
    type: { kind: 'duration', minMs: 0, maxMs: 24 * 3600_000 },
    label: 'Lag alarm clear delay',
    default: 10_000,
    doc: 'the lag must stay below 80 % of every threshold this long before the alarm is cleared (it clears at once when the lag is no longer measured: demoted, stopped)',
  },
] as const satisfies readonly FieldSpec[];

export const RESOURCE_FIELDS = [
  {
    name: 'kind',
    yaml: 'kind',
    yamlHints: ['type'],
    type: { kind: 'custom', text: '`exec`, `systemd`, `mount`, or another registered kind' },
    defaultDoc: 'required',
    doc: 'what the resource is; its own keys are listed below per kind',
  },
  {
    name: 'follows',
    yaml: 'follows',
    yamlHints: ['instance', 'syncGroup'],
    type: { kind: 'string' },
    typeDoc: 'instance or sync group name',
    defaultDoc: 'required',
    doc: 'the resource is promoted when it is MASTER, demoted on BACKUP, FAULT or STOP; an instance in a sync group is followed through its group',
  },
  {
    name: 'vip',
    yaml: 'vip',
    type: { kind: 'enum', values: ['after-promote', 'before-promote'] },
    defaultDoc: '`after-promote`',
    doc: '`after-promote`: the VIPs go up (and are announced) only once this resource is promoted, so clients never reach a node that cannot serve yet; `before-promote`: it is promoted after the VIPs are up. In a group, before-promote resources come after every after-promote one',
  },
  {
    name: 'timeouts',
    yaml: 'timeouts',
    type: { kind: 'custom', text: 'mapping' },
    section: RESOURCE_TIMEOUT_FIELDS,
    doc: 'the time limit of each operation',
  },
  {
    name: 'monitorIntervalMs',
    yaml: 'monitorInterval',
    type: { kind: 'duration', minMs: 10, maxMs: 24 * 3600_000 },
    label: 'Monitor interval',
    default: 5_000,
    doc: 'time between two monitors (the first runs right after start)',
  },
  { name: 'rise', yaml: 'rise', type: { kind: 'integer', min: 1, max: 100 }, default: 1, doc: 'healthy monitors in a row that make a failed resource healthy' },
  { name: 'fall', yaml: 'fall', type: { kind: 'integer', min: 1, max: 100 }, default: 1, doc: 'failed monitors in a row that make a healthy resource failed' },
  {
    name: 'onMonitorFailure',
    yaml: 'onMonitorFailure',
    type: { kind: 'custom', text: PENALTY_TEXT },
    defaultDoc: '`fault`',
    doc: 'a failed monitor puts the followed instances in FAULT, or adds the (negative) weight to their priority, as a tracked check does',
  },
  {
    name: 'veto',
    yaml: 'veto',
    type: { kind: 'custom', text: PENALTY_TEXT },
    defaultDoc: '`fault`',
    doc: 'when the resource says this node must not become master (no current data): FAULT, or the weight; with a weight, pick one larger than any priority gap so that a node with current data always wins',
  },
  {
    name: 'onStopFailure',
    yaml: 'onStopFailure',
    type: { kind: 'custom', text: '`fault`, or `{ command: CMD, user?, group? }`' },
    defaultDoc: '`fault`',
    doc: 'the fence action when a stop fails or times out (a failed demote always leads to a stop): stay FAULT and retry the stop every `retryAfter`, or run a command (a power switch, a storage reservation), then start again after `retryAfter`',
  },
  {
    name: 'retryAfterMs',
    yaml: 'retryAfter',
    type: { kind: 'duration', minMs: 0, maxMs: 24 * 3600_000 },
    label: 'Retry delay',
    default: 30_000,
    doc: 'after a failed start or promote the node stays FAULT this long (a start is retried then); a failed stop is retried this often',
  },
  {
    name: 'lagAlarm',
    yaml: 'lagAlarm',
    type: { kind: 'custom', text: 'mapping' },
    section: LAG_ALARM_FIELDS,
    defaultDoc: 'none',
    doc: 'a `replication-lag` event (log, status, metric, webhook) when the lag the resource reports (`directory`: lag_seconds, lag_bytes; `postgresql`: lag_bytes) stays over a threshold, and another when it is back; needs `lag` or `bytes`',
  },
] as const satisfies readonly FieldSpec[];
