/**
 * What the YAML instance and sync group sections share: notify commands.
 */
import type { NotifyDraft } from '../draft.js';
import { readMap, readString, type Field, type YamlReader } from './nodes.js';

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
