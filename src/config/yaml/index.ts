/**
 * The native YAML configuration front end. Parses with line tracking, reads each section
 * strictly (unknown keys and wrong types are errors with path and line), then validates with the
 * rules shared with the keepalived.conf front end.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { builtInKinds } from '../../resources/kinds/index.js';
import { loadKeepalivedConf } from '../keepalived/index.js';
import { resolveResources } from '../validate-resources.js';
import { readResources, type ResourceDraft } from './convert-resources.js';
import { ConfigError } from '../config-error.js';
import { emptyConfigDraft } from '../draft.js';
import type { LoadedConfig } from '../model.js';
import { validateConfig } from '../validate.js';
import { readCheck } from './convert-checks.js';
import { readGlobal } from './convert-global.js';
import { readInstance } from './convert-instance.js';
import { readSyncGroup } from './convert-sync-groups.js';
import { readMap, readNamedCollection, readString, YamlReader, type Field } from './nodes.js';

const TOP_LEVEL_KEYS = ['global', 'instances', 'checks', 'syncGroups', 'resources', 'keepalivedConf'];
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

/** What a YAML file says, before validation. */
interface YamlParts {
  draft: ReturnType<typeof emptyConfigDraft>;
  resources: ResourceDraft[];
  /** keepalivedConf: the keepalived.conf this file adds resources to, and where the key stood. */
  keepalivedConf?: { path: string; source: { file: string; line: number }; others: string[] };
}

function parseYamlParts(text: string, fileName: string): YamlParts {
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
  const parts: YamlParts = { draft, resources: [] };
  const seen: string[] = [];
  const root: Field = { node: reader.resolve(doc.contents), path: '', source: { file: fileName, line: 1 } };
  if (root.node !== null) {
    for (const [key, value] of readMap(reader, root, TOP_LEVEL_KEYS, TOP_LEVEL_HINTS)) {
      if (value.node === null) continue;
      if (key !== 'resources' && key !== 'keepalivedConf') seen.push(key);
      if (key === 'global') draft.global = readGlobal(reader, value);
      else if (key === 'instances') draft.instances = readNamedCollection(reader, value).map((e) => readInstance(reader, e));
      else if (key === 'checks') draft.checks = readNamedCollection(reader, value).map((e) => readCheck(reader, e));
      else if (key === 'syncGroups') draft.syncGroups = readNamedCollection(reader, value).map((e) => readSyncGroup(reader, e));
      else if (key === 'resources') parts.resources = readResources(reader, value, builtInKinds());
      else if (key === 'keepalivedConf') parts.keepalivedConf = { path: readString(value).value, source: value.source, others: seen };
    }
  }
  draft.warnings.push(...reader.warnings);
  return parts;
}

/** The configuration with its resources resolved against its instances and sync groups. */
function withResources(loaded: LoadedConfig, resources: readonly ResourceDraft[]): LoadedConfig {
  if (resources.length === 0) return loaded;
  return { ...loaded, config: { ...loaded.config, resources: resolveResources(resources, loaded.config) } };
}

/** Parses YAML configuration text. Throws ConfigError naming file, line and key path. */
export function parseYamlConfig(text: string, fileName: string): LoadedConfig {
  const parts = parseYamlParts(text, fileName);
  if (parts.keepalivedConf) throw new ConfigError('keepalivedConf needs the file loaded from disk (loadYamlConfig)', parts.keepalivedConf.source, 'keepalivedConf');
  return withResources(validateConfig(parts.draft), parts.resources);
}

/** Reads and parses a YAML configuration file (not frozen; see loadConfigFile). */
export async function loadYamlConfig(file: string): Promise<LoadedConfig> {
  const parts = parseYamlParts(await readFile(file, 'utf8'), file);
  const companion = parts.keepalivedConf;
  if (companion === undefined) return withResources(validateConfig(parts.draft), parts.resources);
  // A keepalived.conf user's resources: everything else comes from the keepalived.conf, unchanged.
  if (companion.others.length > 0) {
    throw new ConfigError(`With keepalivedConf, ${companion.others.join(', ')} come from the keepalived.conf; this file may only add resources`, companion.source, companion.others[0]);
  }
  const conf = path.resolve(path.dirname(file), companion.path);
  const loaded = await loadKeepalivedConf(conf);
  const warnings = [...parts.draft.warnings, ...loaded.warnings];
  return withResources({ config: loaded.config, warnings }, parts.resources);
}
