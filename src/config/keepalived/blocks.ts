/**
 * Dispatch of a block's statements to handlers, with the three fates of a keyword we do not
 * implement: ignored with a warning (does not change how we fail over), refused (ignoring it
 * would change failover behaviour), or unknown (a warning with a "did you mean", as keepalived
 * itself only warns).
 */
import { ConfigError } from '../config-error.js';
import { didYouMean } from '../suggest.js';
import type { ConfNode } from './parser.js';
import { keywordOf, type Warn } from './values.js';

export type Handler<T> = (node: ConfNode, target: T) => void;

export interface BlockRules<T> {
  /** What the block is called in messages ("vrrp_instance VI_1"). */
  name: string;
  handlers: Record<string, Handler<T>>;
  /** keyword -> why ignoring it is harmless. */
  ignored?: Readonly<Record<string, string>>;
  /** keyword -> why it cannot be honoured. */
  refused?: Readonly<Record<string, string>>;
  /** Unknown keywords are errors here (where guessing wrong changes behaviour), not warnings. */
  refuseUnknown?: boolean;
}

export function convertBlock<T>(nodes: readonly ConfNode[], rules: BlockRules<T>, target: T, warn: Warn): void {
  for (const node of nodes) {
    const keyword = keywordOf(node);
    const handler = Object.hasOwn(rules.handlers, keyword) ? rules.handlers[keyword] : undefined;
    if (handler) {
      handler(node, target);
    } else if (rules.refused && Object.hasOwn(rules.refused, keyword)) {
      throw new ConfigError(`"${keyword}" is not supported: ${rules.refused[keyword]}`, node.source, keyword);
    } else if (rules.ignored && Object.hasOwn(rules.ignored, keyword)) {
      warn(`"${keyword}" in ${rules.name} ignored: ${rules.ignored[keyword]}`, node.source);
    } else {
      const known = [...Object.keys(rules.handlers), ...Object.keys(rules.ignored ?? {}), ...Object.keys(rules.refused ?? {})];
      if (rules.refuseUnknown) {
        throw new ConfigError(`Unknown keyword "${keyword}" in ${rules.name}${didYouMean(keyword, known)}`, node.source, keyword);
      }
      warn(`Unknown keyword "${keyword}" in ${rules.name} ignored${didYouMean(keyword, known)}`, node.source);
    }
  }
}
