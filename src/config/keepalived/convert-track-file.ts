/**
 * track_file (and its deprecated synonym vrrp_track_file) blocks into file check drafts:
 * `file PATH`, `weight N` (default 1: the file's number is added to the priority as it is),
 * `init_file [VALUE] [overwrite]`.
 */
import { ConfigError } from '../config-error.js';
import type { FileCheckDraft } from '../draft.js';
import { convertBlock, type BlockRules } from './blocks.js';
import { firstWins, keepalivedKeyFor, readCheckWeight, withoutBlocks } from './check-values.js';
import type { ConfNode } from './parser.js';
import { blockOf, keywordOf, readString, singleArg, type Warn } from './values.js';

/**
 * init_file writes VALUE (default 0) at start when the file is missing, or always with
 * `overwrite`. A missing file reads as 0 anyway, so the plain form changes nothing; writing
 * another value, or overwriting, is not implemented and would change the starting priority.
 */
function initFile(node: ConfNode, warn: Warn): void {
  let value = 0;
  let overwrite = false;
  for (const word of node.args) {
    if (/^-?\d+$/.test(word.text)) value = Number(word.text);
    else if (word.text === 'overwrite') overwrite = true;
    else throw new ConfigError(`Unknown init_file option "${word.text}": expected a number or "overwrite"`, word.source, 'init_file');
  }
  if (value !== 0 || overwrite) {
    throw new ConfigError(
      'init_file with a value or "overwrite" is not supported: write the starting value from the service manager before hotstandby starts',
      node.source,
      'init_file',
    );
  }
  warn('init_file ignored: a missing file reads as 0, the value it would write', node.source);
}

export function trackFileRules(block: string, warn: Warn): BlockRules<FileCheckDraft> {
  return {
    name: block,
    handlers: withoutBlocks<FileCheckDraft>({
      file: firstWins((d) => d.path, (node, d) => {
        d.path = readString(node, warn);
      }, warn),
      weight: firstWins((d) => d.weight, (node, d) => {
        d.weight = readCheckWeight(node);
      }, warn),
      init_file: (node) => initFile(node, warn),
    }),
  };
}

export function convertTrackFile(node: ConfNode, warn: Warn): FileCheckDraft {
  const name = singleArg(node, warn, 'a track file name');
  const draft: FileCheckDraft = { kind: 'file', name: name.text, source: node.source, keyFor: keepalivedKeyFor({ path: 'file' }) };
  convertBlock(blockOf(node), trackFileRules(keywordOf(node), warn), draft, warn);
  return draft;
}
