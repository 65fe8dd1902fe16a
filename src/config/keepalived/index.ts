/**
 * keepalived.conf front end: an unchanged keepalived 2.2.7 configuration (its VRRP part) into the
 * validated model. Reads includes, parses the block tree, converts keyword by keyword, and
 * validates with the rules shared with the YAML format.
 */
import { readFile } from 'node:fs/promises';
import type { ConfigWarning, LoadedConfig } from '../model.js';
import { validateConfig } from '../validate.js';
import { convertConf } from './convert.js';
import { parseConfLines } from './parser.js';
import { readConfLines, realFileAccess, type ConfFileAccess } from './reader.js';

export type { ConfFileAccess } from './reader.js';

/**
 * Parses keepalived.conf text. `files` reaches included files: a readFile function (globs then
 * list the real directories) or a full ConfFileAccess; the default is the real file system.
 * Throws ConfigError naming file, line and keyword.
 */
export async function parseKeepalivedConf(
  text: string,
  fileName: string,
  files?: ((path: string) => Promise<string>) | ConfFileAccess,
): Promise<LoadedConfig> {
  const access: ConfFileAccess =
    files === undefined ? realFileAccess : typeof files === 'function' ? { ...realFileAccess, readFile: files } : files;
  const { lines, warnings: readWarnings } = await readConfLines(text, fileName, access);
  const warnings: ConfigWarning[] = [...readWarnings];
  const draft = convertConf(parseConfLines(lines), (message, source) => warnings.push({ message, source }));
  draft.warnings.push(...warnings);
  return validateConfig(draft);
}

/** Reads and parses a keepalived.conf file (not frozen; see loadConfigFile). */
export async function loadKeepalivedConf(path: string): Promise<LoadedConfig> {
  return parseKeepalivedConf(await readFile(path, 'utf8'), path);
}
