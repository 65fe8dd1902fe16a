/**
 * The YAML `syncGroups:` section, read by its field table (fields/sync-group.ts).
 */
import type { SyncGroupDraft } from '../draft.js';
import { SYNC_GROUP_FIELDS } from '../fields/sync-group.js';
import { readNotify } from './convert-common.js';
import { readFields, type CustomReader } from './fields.js';
import { readList, readString, type NamedEntry, type YamlReader } from './nodes.js';

const CUSTOM_READERS: Readonly<Record<string, CustomReader<SyncGroupDraft>>> = {
  instances: (reader, value, draft) => {
    draft.instances = readList(reader, value).map(readString);
  },
  notify: (reader, value, draft) => {
    draft.notify = readNotify(reader, value);
  },
};

export function readSyncGroup(reader: YamlReader, entry: NamedEntry): SyncGroupDraft {
  const draft: SyncGroupDraft = { name: entry.name, source: entry.source, instances: [], notify: {} };
  readFields(reader, entry.body, SYNC_GROUP_FIELDS, draft, { custom: CUSTOM_READERS, extraKeys: entry.hasNameKey ? ['name'] : [] });
  return draft;
}
