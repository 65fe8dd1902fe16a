/**
 * The YAML `syncGroups:` section.
 */
import type { SyncGroupDraft } from '../draft.js';
import { readNotify } from './convert-common.js';
import { readList, readMap, readString, type NamedEntry, type YamlReader } from './nodes.js';

export function readSyncGroup(reader: YamlReader, entry: NamedEntry): SyncGroupDraft {
  const draft: SyncGroupDraft = { name: entry.name, source: entry.source, instances: [], notify: {} };
  const known = entry.hasNameKey ? ['name', 'instances', 'notify'] : ['instances', 'notify'];
  for (const [key, value] of readMap(reader, entry.body, known, { group: 'instances', members: 'instances' })) {
    if (key === 'instances') draft.instances = readList(reader, value).map(readString);
    else if (key === 'notify') draft.notify = readNotify(reader, value);
  }
  return draft;
}
