/**
 * vrrp_script blocks into check drafts (the "exec" kind of check).
 */
import { splitCommandLine } from '../command-line.js';
import { ConfigError } from '../config-error.js';
import { located, type Located, type ScriptDraft } from '../draft.js';
import { convertBlock, type BlockRules } from './blocks.js';
import type { ConfNode } from './parser.js';
import { blockOf, expectNoBlock, keywordOf, noArgs, readCommand, readInteger, readUnsigned, singleArg, type Warn } from './values.js';

/** keepalived accepts 0 for pre-2.0.7 files and uses 1 s. */
function positiveSeconds(node: ConfNode, warn: Warn): Located<number> {
  const value = readUnsigned(singleArg(node, warn), keywordOf(node));
  if (value.value === 0) {
    warn(`${keywordOf(node)} 0 is treated as 1 second, as keepalived does`, value.source);
    return { ...value, value: 1000 };
  }
  return { ...value, value: value.value * 1000 };
}

function scriptRules(warn: Warn): BlockRules<ScriptDraft> {
  const handlers: BlockRules<ScriptDraft>['handlers'] = {
    script: (node, d) => {
      const { command, extra } = readCommand(node);
      if (extra.length > 0) {
        // keepalived runs only the first word (quoted string) and drops the rest silently.
        warn(`Words after the script command ignored, as keepalived does: ${extra.join(' ')} (quote the whole command line)`, node.source);
      }
      let words: string[];
      try {
        words = splitCommandLine(command.value);
      } catch (err) {
        throw new ConfigError((err as Error).message, command.source, 'script');
      }
      d.command = located(words, command.source, 'script');
    },
    interval: (node, d) => {
      d.intervalMs = positiveSeconds(node, warn);
    },
    timeout: (node, d) => {
      d.timeoutMs = positiveSeconds(node, warn);
    },
    weight: (node, d) => {
      const [value, direction] = node.args;
      if (!value) throw new ConfigError('Expected a weight', node.source, 'weight');
      if (direction?.text === 'reverse') throw new ConfigError('"reverse" weights are not supported', direction.source, 'weight');
      if (direction) throw new ConfigError(`Unknown weight option "${direction.text}"`, direction.source, 'weight');
      d.weight = readInteger(value, 'weight');
    },
    rise: (node, d) => {
      d.rise = readUnsigned(singleArg(node, warn), 'rise');
    },
    fall: (node, d) => {
      d.fall = readUnsigned(singleArg(node, warn), 'fall');
    },
    user: (node, d) => {
      const [user, group] = node.args;
      if (!user) throw new ConfigError('Expected a user name', node.source, 'user');
      if (group) warn(`Group "${group.text}" ignored: the script runs with the user's own group`, group.source);
      d.user = located(user.text, user.source, 'user');
    },
    init_fail: (node, d) => {
      noArgs(node, warn);
      d.initFail = located(true, node.source, 'init_fail');
    },
  };
  for (const [keyword, handler] of Object.entries(handlers)) {
    handlers[keyword] = (node, d) => {
      expectNoBlock(node);
      handler(node, d);
    };
  }
  return { name: 'vrrp_script', handlers };
}

export function convertScript(node: ConfNode, warn: Warn): ScriptDraft {
  const name = singleArg(node, warn, 'a script name');
  const draft: ScriptDraft = { name: name.text, source: node.source };
  convertBlock(blockOf(node), scriptRules(warn), draft, warn);
  return draft;
}
