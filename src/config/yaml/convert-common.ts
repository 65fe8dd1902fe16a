/**
 * What the YAML instance and sync group sections share: notify commands.
 */
import type { NotifyDraft } from '../draft.js';
import { readMap, readString, type Field, type YamlReader } from './nodes.js';

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
