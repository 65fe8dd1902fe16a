/**
 * Loading a configuration file of either kind into the validated, frozen model.
 */
import { freezeLoadedConfig } from './freeze.js';
import { loadKeepalivedConf } from './keepalived/index.js';
import type { LoadedConfig } from './model.js';
import { loadYamlConfig } from './yaml/index.js';

export type ConfigKind = 'yaml' | 'keepalived';

/**
 * Reads, parses and validates `path`; the result (config and warnings) is deeply frozen.
 * Throws ConfigError for configuration problems, and the file system's error when unreadable.
 */
export async function loadConfigFile(path: string, kind: ConfigKind): Promise<Readonly<LoadedConfig>> {
  const loaded = kind === 'yaml' ? await loadYamlConfig(path) : await loadKeepalivedConf(path);
  return freezeLoadedConfig(loaded);
}

export { freezeConfig } from './freeze.js';
