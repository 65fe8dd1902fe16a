/**
 * vrrp_sync_group blocks into sync group drafts.
 */
import { located, type SyncGroupDraft } from '../draft.js';
import { SYNC_GROUP_FIELDS } from '../fields/sync-group.js';
import { convertBlock, type BlockRules } from './blocks.js';
import { fieldHandlers } from './fields.js';
import { readNotify } from './notify.js';
import type { ConfNode } from './parser.js';
import { blockOf, blockWords, expectNoBlock, singleArg, type Warn } from './values.js';

const GROUP_TRACKING = 'sync group tracking is not supported; track in the instances (with weight 0)';

export function syncGroupRules(warn: Warn): BlockRules<SyncGroupDraft> {
  const notify = (node: ConfNode, d: SyncGroupDraft): void => {
    expectNoBlock(node);
    readNotify(node, d.notify, warn);
  };
  return {
    name: 'vrrp_sync_group',
    handlers: fieldHandlers(SYNC_GROUP_FIELDS, warn, {
      group: (node, d) => {
        for (const word of blockWords(node)) d.instances.push(located(word.text, word.source, 'group'));
      },
      notify_master: notify,
      notify_backup: notify,
      notify_fault: notify,
      notify_stop: notify,
      notify,
    }),
    ignored: {
      notify_priority_changes: 'notify FIFOs are not supported',
      notify_deleted: 'instances removed by a reload are reported as FAULT',
    },
    refused: {
      track_interface: GROUP_TRACKING,
      track_script: GROUP_TRACKING,
      track_file: GROUP_TRACKING,
      track_process: GROUP_TRACKING,
      track_bfd: GROUP_TRACKING,
      global_tracking: 'members keep their tracking weights with it; hotstandby applies keepalived\'s default (weights ignored)',
      sync_group_tracking_weight: 'members keep their tracking weights with it; hotstandby applies keepalived\'s default (weights ignored)',
    },
  };
}

export function convertSyncGroup(node: ConfNode, warn: Warn): SyncGroupDraft {
  const name = singleArg(node, warn, 'a sync group name');
  const draft: SyncGroupDraft = { name: name.text, source: node.source, instances: [], notify: {} };
  convertBlock(blockOf(node), syncGroupRules(warn), draft, warn);
  return draft;
}
