/**
 * vrrp_script blocks into exec check drafts.
 */
import { splitCommandLine } from '../command-line.js';
import { ConfigError } from '../config-error.js';
import { MAX_TRACK_WEIGHT } from '../defaults.js';
import { located, type ExecCheckDraft, type Located } from '../draft.js';
import { checkInteger } from '../validate-values.js';
import { convertBlock, type BlockRules } from './blocks.js';
import { keepalivedKeyFor, readCheckWeight, withoutBlocks } from './check-values.js';
import type { ConfNode } from './parser.js';
import { blockOf, keywordOf, noArgs, readCommand, readUnsigned, singleArg, type Warn } from './values.js';

/** keepalived accepts 0 for pre-2.0.7 files and uses 1 s. */
function positiveSeconds(node: ConfNode, warn: Warn): Located<number> {
  const value = readUnsigned(singleArg(node, warn), keywordOf(node));
  if (value.value === 0) {
    warn(`${keywordOf(node)} 0 is treated as 1 second, as keepalived does`, value.source);
    return { ...value, value: 1000 };
  }
  return { ...value, value: value.value * 1000 };
}

export function scriptRules(warn: Warn): BlockRules<ExecCheckDraft> {
  return {
    name: 'vrrp_script',
    handlers: withoutBlocks<ExecCheckDraft>({
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
        const weight = readCheckWeight(node);
        // vrrp_script is narrower than the check model: keepalived's -253..253.
        checkInteger(weight, -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT, 'weight', 'Weight');
        d.weight = weight;
      },
      rise: (node, d) => {
        d.rise = readUnsigned(singleArg(node, warn), 'rise');
      },
      fall: (node, d) => {
        d.fall = readUnsigned(singleArg(node, warn), 'fall');
      },
      user: (node, d) => {
        const [user, group, ...extra] = node.args;
        if (!user) throw new ConfigError('Expected a user name', node.source, 'user');
        d.user = located(user.text, user.source, 'user');
        if (group) d.group = located(group.text, group.source, 'user');
        if (extra.length > 0) warn(`Extra words after user ignored: ${extra.map((t) => t.text).join(' ')}`, node.source);
      },
      init_fail: (node, d) => {
        noArgs(node, warn);
        d.initFail = located(true, node.source, 'init_fail');
      },
    }),
  };
}

export function convertScript(node: ConfNode, warn: Warn): ExecCheckDraft {
  const name = singleArg(node, warn, 'a script name');
  const draft: ExecCheckDraft = { kind: 'exec', name: name.text, source: node.source, keyFor: keepalivedKeyFor({ command: 'script' }) };
  convertBlock(blockOf(node), scriptRules(warn), draft, warn);
  return draft;
}
