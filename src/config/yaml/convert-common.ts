/**
 * Pieces the YAML instance, sync group and global sections share: notify commands and GARP timers.
 */
import type { GarpDraft, GlobalGarpDraft, NotifyDraft } from '../draft.js';
import { readDuration, readInteger, readMap, readString, type Field, type YamlReader } from './nodes.js';

const NOTIFY_KEYS = ['master', 'backup', 'fault', 'stop', 'any'] as const;

/** notify: { master, backup, fault, stop, any } - command lines, split like keepalived's. */
export function readNotify(reader: YamlReader, field: Field): NotifyDraft {
  const notify: NotifyDraft = {};
  const hints = { generic: 'any', notify: 'any', notify_master: 'master', notify_backup: 'backup', notify_fault: 'fault', notify_stop: 'stop' };
  for (const [key, value] of readMap(reader, field, NOTIFY_KEYS, hints)) {
    notify[key === 'any' ? 'generic' : (key as Exclude<(typeof NOTIFY_KEYS)[number], 'any'>)] = readString(value);
  }
  return notify;
}

const GARP_KEYS = ['masterDelay', 'masterRepeat', 'masterRefresh', 'masterRefreshRepeat', 'interval'] as const;
const GARP_HINTS = {
  garp_master_delay: 'masterDelay',
  garp_master_repeat: 'masterRepeat',
  garp_master_refresh: 'masterRefresh',
  garp_master_refresh_repeat: 'masterRefreshRepeat',
  delay: 'masterDelay',
  repeat: 'masterRepeat',
};

function readGarpInto(target: GlobalGarpDraft, reader: YamlReader, field: Field, known: readonly string[]): void {
  for (const [key, value] of readMap(reader, field, known, GARP_HINTS)) {
    if (key === 'masterDelay') target.masterDelayMs = readDuration(value);
    else if (key === 'masterRepeat') target.masterRepeat = readInteger(value);
    else if (key === 'masterRefresh') target.masterRefreshMs = readDuration(value);
    else if (key === 'masterRefreshRepeat') target.masterRefreshRepeat = readInteger(value);
    else if (key === 'interval') target.intervalMs = readDuration(value);
    else if (key === 'naInterval') target.naIntervalMs = readDuration(value);
  }
}

/** An instance's garp: { masterDelay, masterRepeat, masterRefresh, masterRefreshRepeat, interval }. */
export function readGarp(reader: YamlReader, field: Field): GarpDraft {
  const garp: GarpDraft = {};
  readGarpInto(garp, reader, field, GARP_KEYS);
  return garp;
}

/** The global garp: the instance keys plus naInterval (IPv6 instances; interval is then IPv4's). */
export function readGlobalGarp(reader: YamlReader, field: Field): GlobalGarpDraft {
  const garp: GlobalGarpDraft = {};
  readGarpInto(garp, reader, field, [...GARP_KEYS, 'naInterval']);
  return garp;
}
