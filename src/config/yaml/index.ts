/**
 * The native YAML configuration front end. Parses with line tracking, reads each section
 * strictly (unknown keys and wrong types are errors with path and line), then validates with the
 * rules shared with the keepalived.conf front end.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../config-error.js';
import { emptyConfigDraft } from '../draft.js';
import type { LoadedConfig } from '../model.js';
import { validateConfig } from '../validate.js';
import { readBackups } from './convert-backups.js';
import { readCheck } from './convert-checks.js';
import { readGlobal } from './convert-global.js';
import { readInstance } from './convert-instance.js';
import { readSyncGroup } from './convert-sync-groups.js';
import { readMap, readNamedCollection, YamlReader, type Field } from './nodes.js';

const TOP_LEVEL_KEYS = ['global', 'instances', 'checks', 'syncGroups', 'backups'];
const TOP_LEVEL_HINTS = {
  global_defs: 'global',
  vrrp_instance: 'instances',
  vrrp_script: 'checks',
  vrrp_track_file: 'checks',
  track_file: 'checks',
  vrrp_track_process: 'checks',
  scripts: 'checks',
  vrrp_sync_group: 'syncGroups',
  sync_groups: 'syncGroups',
};

/** Parses YAML configuration text. Throws ConfigError naming file, line and key path. */
export function parseYamlConfig(text: string, fileName: string): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = lines.linePos(error.pos[0]).line;
    throw new ConfigError(`Invalid YAML: ${error.message.split('\n')[0]}`, { file: fileName, line });
  }
  const reader = new YamlReader(fileName, doc, lines);
  for (const warning of doc.warnings) {
    reader.warn(`YAML: ${warning.message.split('\n')[0]}`, { file: fileName, line: lines.linePos(warning.pos[0]).line });
  }
  const draft = emptyConfigDraft();
  const root: Field = { node: reader.resolve(doc.contents), path: '', source: { file: fileName, line: 1 } };
  if (root.node !== null) {
    for (const [key, value] of readMap(reader, root, TOP_LEVEL_KEYS, TOP_LEVEL_HINTS)) {
      if (value.node === null) continue;
      if (key === 'global') draft.global = readGlobal(reader, value);
      else if (key === 'instances') draft.instances = readNamedCollection(reader, value).map((e) => readInstance(reader, e));
      else if (key === 'checks') draft.checks = readNamedCollection(reader, value).map((e) => readCheck(reader, e));
      else if (key === 'syncGroups') draft.syncGroups = readNamedCollection(reader, value).map((e) => readSyncGroup(reader, e));
      else if (key === 'backups') draft.backups = readBackups(reader, value);
    }
  }
  draft.warnings.push(...reader.warnings);
  return validateConfig(draft);
}

/** Reads and parses a YAML configuration file (not frozen; see loadConfigFile). */
export async function loadYamlConfig(path: string): Promise<LoadedConfig> {
  return parseYamlConfig(await readFile(path, 'utf8'), path);
}
