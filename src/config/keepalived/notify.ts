/**
 * notify_* keywords of instances and sync groups: the command line as keepalived reads it.
 */
import type { NotifyDraft } from '../draft.js';
import type { ConfNode } from './parser.js';
import { keywordOf, readCommand, type Warn } from './values.js';

export const NOTIFY_KEYWORDS: Readonly<Record<string, keyof NotifyDraft>> = {
  notify_master: 'master',
  notify_backup: 'backup',
  notify_fault: 'fault',
  notify_stop: 'stop',
  notify: 'generic',
  notify_master_rx_lower_pri: 'masterRxLowerPri',
};

export function readNotify(node: ConfNode, notify: NotifyDraft, warn: Warn): void {
  const field = NOTIFY_KEYWORDS[keywordOf(node)] as keyof NotifyDraft;
  const { command, extra } = readCommand(node);
  if (notify[field]) {
    warn(`${keywordOf(node)} is already set (${notify[field]?.source.file}:${notify[field]?.source.line}); this one is ignored, as keepalived does`, node.source);
    return;
  }
  if (extra.length > 0) {
    warn(`User/group "${extra.join(' ')}" of ${keywordOf(node)} ignored: notify scripts run as the global script user`, node.source);
  }
  notify[field] = command;
}
