/**
 * Keywords the keepalived check blocks (vrrp_script, track_file, vrrp_track_process) share.
 */
import { ConfigError } from '../config-error.js';
import type { Located } from '../draft.js';
import type { ConfNode } from './parser.js';
import { expectNoBlock, keywordOf, readInteger, type Warn } from './values.js';
import type { BlockRules, Handler } from './blocks.js';

/** `weight N [reverse]`: "reverse" is refused (not in the model), anything else after N is an error. */
export function readCheckWeight(node: ConfNode): Located<number> {
  const [value, direction, extra] = node.args;
  if (!value) throw new ConfigError('Expected a weight', node.source, 'weight');
  if (direction?.text === 'reverse') throw new ConfigError('"reverse" weights are not supported', direction.source, 'weight');
  if (direction) throw new ConfigError(`Unknown weight option "${direction.text}"`, direction.source, 'weight');
  if (extra) throw new ConfigError(`Unexpected "${extra.text}" after the weight`, extra.source, 'weight');
  return readInteger(value, 'weight');
}

/**
 * A handler that keeps the first value, as keepalived does for the keywords of track_file and
 * vrrp_track_process ("already set - ignoring"), and says so.
 */
export function firstWins<T>(isSet: (target: T) => Located<unknown> | undefined, handler: Handler<T>, warn: Warn): Handler<T> {
  return (node, target) => {
    const earlier = isSet(target);
    if (earlier) {
      warn(`${keywordOf(node)} is already set (${earlier.source.file}:${earlier.source.line}); this one is ignored, as keepalived does`, node.source);
      return;
    }
    handler(node, target);
  };
}

/** The handlers, each refusing a { } block after its keyword. */
export function withoutBlocks<T>(handlers: BlockRules<T>['handlers']): BlockRules<T>['handlers'] {
  const wrapped: BlockRules<T>['handlers'] = {};
  for (const [keyword, handler] of Object.entries(handlers)) {
    wrapped[keyword] = (node, target) => {
      expectNoBlock(node);
      handler(node, target);
    };
  }
  return wrapped;
}

/** Names the keyword a missing setting would be in errors ("Check "x" has no command" -> script). */
export function keepalivedKeyFor(keywords: Readonly<Record<string, string>>): (nativeKey: string) => string {
  return (nativeKey) => keywords[nativeKey] ?? nativeKey;
}
