/**
 * vrrp_track_process blocks into process check drafts. keepalived matches the process name
 * (/proc/PID/comm) unless parameters or param_match ask for the command line; the model matches
 * either a name or a whole command line, so keepalived's prefix matches (param_match initial /
 * partial), quorum_max and full_command without parameters are refused. keepalived reacts to
 * process events at once and debounces with fork_delay / terminate_delay; the model looks every
 * interval with rise / fall, so the delays become counts of intervals.
 */
import { ConfigError } from '../config-error.js';
import { DEFAULT_CHECK_INTERVAL_MS } from '../defaults.js';
import { formatDuration } from '../duration.js';
import { located, type Located, type ProcessCheckDraft } from '../draft.js';
import type { SourceLocation } from '../model.js';
import { convertBlock, type BlockRules } from './blocks.js';
import { firstWins, keepalivedKeyFor, readCheckWeight, withoutBlocks } from './check-values.js';
import type { Token } from './lexer.js';
import type { ConfNode } from './parser.js';
import { blockOf, keywordOf, readSeconds, readUnsigned, singleArg, type Warn } from './values.js';

/** keepalived: delays of 0.000001..3600 s. */
const MAX_DELAY_MS = 3_600_000;

interface PendingProcess {
  process?: { words: Token[]; source: SourceLocation };
  paramMatch?: SourceLocation;
  fullCommand?: SourceLocation;
  forkDelay?: Located<number>;
  terminateDelay?: Located<number>;
}

function delay(node: ConfNode, warn: Warn): Located<number> {
  const value = readSeconds(singleArg(node, warn), keywordOf(node));
  if (value.value <= 0 || value.value > MAX_DELAY_MS) {
    throw new ConfigError(`${keywordOf(node)} ${value.value / 1000} s is out of range: expected more than 0 up to 3600 s`, value.source, keywordOf(node));
  }
  return value;
}

export function trackProcessRules(pending: PendingProcess, warn: Warn): BlockRules<ProcessCheckDraft> {
  return {
    name: 'vrrp_track_process',
    handlers: withoutBlocks<ProcessCheckDraft>({
      process: (node) => {
        if (pending.process) {
          warn(`process is already set (${pending.process.source.file}:${pending.process.source.line}); this one is ignored, as keepalived does`, node.source);
          return;
        }
        if (node.args.length === 0) throw new ConfigError('Expected a process name', node.source, 'process');
        pending.process = { words: node.args, source: node.source };
      },
      param_match: (node) => {
        const [mode] = node.args;
        if (mode && (mode.text === 'initial' || mode.text === 'partial')) {
          throw new ConfigError(
            `param_match ${mode.text} is not supported: hotstandby compares whole command lines; list all the parameters after the process`,
            mode.source,
            'param_match',
          );
        }
        if (mode) throw new ConfigError(`Unknown param_match "${mode.text}": expected nothing, initial or partial`, mode.source, 'param_match');
        pending.paramMatch = node.source;
      },
      full_command: (node) => {
        pending.fullCommand = node.source;
      },
      weight: firstWins((d) => d.weight, (node, d) => {
        d.weight = readCheckWeight(node);
      }, warn),
      quorum: (node, d) => {
        d.quorum = readUnsigned(singleArg(node, warn), 'quorum');
      },
      quorum_max: (node) => {
        throw new ConfigError('quorum_max is not supported: a process check is healthy with at least quorum processes', node.source, 'quorum_max');
      },
      delay: (node) => {
        pending.forkDelay = pending.terminateDelay = delay(node, warn);
      },
      fork_delay: (node) => {
        pending.forkDelay = delay(node, warn);
      },
      terminate_delay: (node) => {
        pending.terminateDelay = delay(node, warn);
      },
    }),
  };
}

/** keepalived's matching, as the model says it: a name, or the whole command line. */
function completeMatch(draft: ProcessCheckDraft, pending: PendingProcess): void {
  if (!pending.process) return; // validation names what is missing
  const [program, ...params] = pending.process.words as [Token, ...Token[]];
  if (params.length > 0 || pending.paramMatch) {
    // keepalived compares the program and every parameter: the whole command line.
    const words = [program, ...params].map((t) => t.text);
    draft.commandLine = located(words.join(' '), pending.process.source, 'process');
  } else if (pending.fullCommand) {
    throw new ConfigError(
      'full_command without parameters matches the program whatever its arguments, which hotstandby cannot express: ' +
        'list the parameters after the process (a whole command line), or drop full_command to match the process name',
      pending.fullCommand,
      'full_command',
    );
  } else {
    draft.processName = located(program.text, program.source, 'process');
  }
}

/**
 * A delay D becomes 1 + ceil(D / interval) looks in a row: the change is accepted no sooner than
 * D after the first look that saw it (and at most one interval later than keepalived would).
 */
function delayAsCount(field: Located<number> | undefined, what: string, key: 'rise' | 'fall', draft: ProcessCheckDraft, warn: Warn): void {
  if (!field) return;
  const count = 1 + Math.ceil(field.value / DEFAULT_CHECK_INTERVAL_MS);
  draft[key] = located(count, field.source, field.key ?? key);
  warn(
    `${field.key ?? key} ${formatDuration(field.value)} becomes ${key} ${count}: the process is looked for every ${formatDuration(DEFAULT_CHECK_INTERVAL_MS)} ` +
      `(and on process exit), so a ${what} counts after ${count} looks in a row`,
    field.source,
  );
}

export function convertTrackProcess(node: ConfNode, warn: Warn): ProcessCheckDraft {
  const name = singleArg(node, warn, 'a track process name');
  const draft: ProcessCheckDraft = { kind: 'process', name: name.text, source: node.source, keyFor: keepalivedKeyFor({ process: 'process' }) };
  const pending: PendingProcess = {};
  convertBlock(blockOf(node), trackProcessRules(pending, warn), draft, warn);
  completeMatch(draft, pending);
  delayAsCount(pending.forkDelay, 'process start', 'rise', draft, warn);
  delayAsCount(pending.terminateDelay, 'process loss', 'fall', draft, warn);
  return draft;
}
