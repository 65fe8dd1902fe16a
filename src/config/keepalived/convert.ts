/**
 * The top level of a keepalived.conf: the VRRP blocks become a draft; blocks of other keepalived
 * subsystems are skipped with a warning.
 */
import { emptyConfigDraft, type ConfigDraft } from '../draft.js';
import { convertBlock, type BlockRules } from './blocks.js';
import { completeNotifyFifo, globalRules, type NotifyFifoKeywords } from './convert-global.js';
import { convertInstance } from './convert-instance.js';
import { convertScript } from './convert-script.js';
import { convertSyncGroup } from './convert-sync-group.js';
import { convertTrackFile } from './convert-track-file.js';
import { convertTrackProcess } from './convert-track-process.js';
import type { ConfNode } from './parser.js';
import { blockOf, type Warn } from './values.js';

const NOT_VRRP = 'not part of VRRP (hotstandby manages virtual addresses only); block skipped';
export function topLevelRules(warn: Warn, fifos: NotifyFifoKeywords): BlockRules<ConfigDraft> {
  return {
    name: 'keepalived.conf',
    handlers: {
      global_defs: (node, draft) => convertBlock(blockOf(node), globalRules(warn, fifos), draft.global, warn),
      vrrp_instance: (node, draft) => {
        draft.instances.push(convertInstance(node, warn));
      },
      vrrp_script: (node, draft) => {
        draft.checks.push(convertScript(node, warn));
      },
      track_file: (node, draft) => {
        draft.checks.push(convertTrackFile(node, warn));
      },
      // keepalived 2.2.7: a deprecated synonym of track_file.
      vrrp_track_file: (node, draft) => {
        draft.checks.push(convertTrackFile(node, warn));
      },
      vrrp_track_process: (node, draft) => {
        draft.checks.push(convertTrackProcess(node, warn));
      },
      vrrp_sync_group: (node, draft) => {
        draft.syncGroups.push(convertSyncGroup(node, warn));
      },
    },
    ignored: {
      virtual_server: NOT_VRRP,
      virtual_server_group: NOT_VRRP,
      static_routes: NOT_VRRP,
      static_rules: NOT_VRRP,
      track_group: NOT_VRRP,
      bfd_instance: NOT_VRRP,
      garp_group: 'per-interface GARP/NA intervals are not supported; vrrp_garp_interval/vrrp_gna_interval apply',
      linkbeat_interfaces: 'link state comes from netlink',
      instance: 'keepalived process management has no equivalent',
      use_pid_dir: 'keepalived process management has no equivalent',
      child_wait_time: 'keepalived process management has no equivalent',
      linkbeat_use_polling: 'link state comes from netlink',
      namespace_with_ipsets: 'firewall integration is not supported',
      net_namespace_ipvs: 'LVS is not part of hotstandby',
    },
    refused: {
      net_namespace: 'run hotstandby inside the namespace instead (ip netns exec)',
      interface_up_down_delays: 'interface up/down debouncing is not supported yet',
      // keepalived adds these addresses at start: ignoring them would leave the node without them.
      static_ipaddress: 'static addresses are not configured by hotstandby; put them in the system network configuration',
    },
  };
}

export function convertConf(nodes: readonly ConfNode[], warn: Warn): ConfigDraft {
  const draft = emptyConfigDraft();
  const fifos: NotifyFifoKeywords = {};
  convertBlock(nodes, topLevelRules(warn, fifos), draft, warn);
  completeNotifyFifo(draft.global, fifos, warn);
  return draft;
}
