/**
 * Pieces the YAML instance, sync group and global sections share: notify commands and GARP timers.
 */
import type { GarpDraft, GlobalGarpDraft, LowerPriorityDraft, NotifyDraft } from '../draft.js';
import { readBoolean, readDuration, readInteger, readMap, readString, type Field, type YamlReader } from './nodes.js';

const NOTIFY_KEYS = ['master', 'backup', 'fault', 'stop', 'any'] as const;
/** Instances also have masterRxLowerPri (keepalived notify_master_rx_lower_pri); sync groups do not. */
export const INSTANCE_NOTIFY_KEYS = [...NOTIFY_KEYS, 'masterRxLowerPri'] as const;

/** notify: { master, backup, fault, stop, any } - command lines, split like keepalived's. */
export function readNotify(reader: YamlReader, field: Field, keys: readonly string[] = NOTIFY_KEYS): NotifyDraft {
  const notify: NotifyDraft = {};
  const hints = {
    generic: 'any',
    notify: 'any',
    notify_master: 'master',
    notify_backup: 'backup',
    notify_fault: 'fault',
    notify_stop: 'stop',
    notify_master_rx_lower_pri: 'masterRxLowerPri',
  };
  for (const [key, value] of readMap(reader, field, keys, hints)) {
    notify[key === 'any' ? 'generic' : (key as Exclude<(typeof INSTANCE_NOTIFY_KEYS)[number], 'any'>)] = readString(value);
  }
  return notify;
}

/** lowerPriority: { noAdvert, garpRepeat, garpDelay } (keepalived lower_prio_no_advert, garp_lower_prio_*). */
export function readLowerPriority(reader: YamlReader, field: Field): LowerPriorityDraft {
  const draft: LowerPriorityDraft = {};
  const hints = { lower_prio_no_advert: 'noAdvert', garp_lower_prio_repeat: 'garpRepeat', garp_lower_prio_delay: 'garpDelay' };
  for (const [key, value] of readMap(reader, field, ['noAdvert', 'garpRepeat', 'garpDelay'], hints)) {
    if (key === 'noAdvert') draft.noAdvert = readBoolean(value);
    else if (key === 'garpRepeat') draft.garpRepeat = readInteger(value);
    else draft.garpDelayMs = readDuration(value);
  }
  return draft;
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
