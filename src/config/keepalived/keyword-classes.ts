/**
 * What the keepalived.conf front end does with every keyword it knows, block by block:
 * implemented (a handler), refused (an error naming file, line and keyword, because ignoring it
 * could change who is master, which addresses are held, or security) or ignored with a warning.
 * Read from the block rules themselves, so the docs' classification table cannot drift.
 */
import type { BlockRules } from './blocks.js';
import { topLevelRules } from './convert.js';
import { globalRules } from './convert-global.js';
import { authenticationRules, instanceRules } from './convert-instance.js';
import { scriptRules } from './convert-script.js';
import { syncGroupRules } from './convert-sync-group.js';
import { trackFileRules } from './convert-track-file.js';
import { trackProcessRules } from './convert-track-process.js';

export interface KeywordClasses {
  /** The block as keepalived.conf writes it ("vrrp_instance"). */
  block: string;
  implemented: readonly string[];
  /** keyword -> why it is refused. */
  refused: Readonly<Record<string, string>>;
  /** keyword -> why ignoring it changes nothing that matters for failover. */
  warned: Readonly<Record<string, string>>;
  /** Unknown keywords are errors in this block (not warnings). */
  refuseUnknown: boolean;
}

function classesOf(block: string, rules: BlockRules<never>): KeywordClasses {
  return {
    block,
    implemented: Object.keys(rules.handlers),
    refused: rules.refused ?? {},
    warned: rules.ignored ?? {},
    refuseUnknown: rules.refuseUnknown ?? false,
  };
}

const quiet = (): void => {};

/** Every block's classes, in the order of docs/config.md. */
export function keywordClasses(): KeywordClasses[] {
  const blocks: Array<[string, BlockRules<never>]> = [
    ['top level', topLevelRules(quiet, {}) as BlockRules<never>],
    ['global_defs', globalRules(quiet, {}) as BlockRules<never>],
    ['vrrp_instance', instanceRules({}, quiet) as BlockRules<never>],
    ['authentication', authenticationRules(quiet) as BlockRules<never>],
    ['vrrp_sync_group', syncGroupRules(quiet) as BlockRules<never>],
    ['vrrp_script', scriptRules(quiet) as BlockRules<never>],
    ['track_file', trackFileRules('track_file', quiet) as BlockRules<never>],
    ['vrrp_track_process', trackProcessRules({}, quiet) as BlockRules<never>],
  ];
  return blocks.map(([block, rules]) => classesOf(block, rules));
}
