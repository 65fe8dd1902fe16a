/**
 * The YAML `global:` section.
 */
import type { GlobalDraft } from '../draft.js';
import { readGlobalGarp, readLowerPriority } from './convert-common.js';
import { readBoolean, readDuration, readMap, readString, readVersion, type Field, type YamlReader } from './nodes.js';

const GLOBAL_KEYS = [
  'routerId',
  'version',
  'multicastGroup4',
  'multicastGroup6',
  'scriptUser',
  'scriptGroup',
  'enableScriptSecurity',
  'garp',
  'lowerPriority',
  'startupDelay',
  'notifyFifo',
  'notifyFifoScript',
];
const GLOBAL_HINTS = {
  router_id: 'routerId',
  vrrp_version: 'version',
  vrrp_mcast_group4: 'multicastGroup4',
  vrrp_mcast_group6: 'multicastGroup6',
  script_user: 'scriptUser',
  enable_script_security: 'enableScriptSecurity',
  vrrp_startup_delay: 'startupDelay',
  vrrp_lower_prio_no_advert: 'lowerPriority',
  vrrp_garp_lower_prio_repeat: 'lowerPriority',
  vrrp_garp_lower_prio_delay: 'lowerPriority',
  notify_fifo: 'notifyFifo',
  vrrp_notify_fifo: 'notifyFifo',
  notify_fifo_script: 'notifyFifoScript',
  vrrp_notify_fifo_script: 'notifyFifoScript',
};

export function readGlobal(reader: YamlReader, field: Field): GlobalDraft {
  const global: GlobalDraft = { garp: {} };
  for (const [key, value] of readMap(reader, field, GLOBAL_KEYS, GLOBAL_HINTS)) {
    switch (key) {
      case 'routerId':
        global.routerId = readString(value);
        break;
      case 'version':
        global.defaultVersion = readVersion(value);
        break;
      case 'multicastGroup4':
        global.multicastGroup4 = readString(value);
        break;
      case 'multicastGroup6':
        global.multicastGroup6 = readString(value);
        break;
      case 'scriptUser':
        global.scriptUser = readString(value);
        break;
      case 'scriptGroup':
        global.scriptGroup = readString(value);
        break;
      case 'startupDelay':
        global.startupDelayMs = readDuration(value);
        break;
      case 'notifyFifo':
        global.notifyFifo = readString(value);
        break;
      case 'notifyFifoScript':
        global.notifyFifoScript = readString(value);
        break;
      case 'enableScriptSecurity':
        global.enableScriptSecurity = readBoolean(value);
        break;
      case 'garp':
        global.garp = readGlobalGarp(reader, value);
        break;
      case 'lowerPriority':
        global.lowerPriority = readLowerPriority(reader, value);
        break;
    }
  }
  return global;
}
