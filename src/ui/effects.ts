/**
 * What an action will do, in one sentence for the confirmation: the operator confirms the
 * effect ("web on this node will lose the VIP to 10.0.0.2"), not a button name.
 */
import type { InstanceDetail } from '../api/instance-view.js';

function vipList(instance: InstanceDetail): string {
  // The addresses people know them by; the tile shows the prefixes.
  const vips = instance.vips.map((v) => v.replace(/\/\d+$/, ''));
  return vips.length === 1 ? `the VIP ${vips[0] ?? ''}` : `the VIPs ${vips.join(', ')}`;
}

/** Who takes over from this node: the unicast peers, else whichever backup wins. */
function successor(instance: InstanceDetail): string {
  if (instance.peers.length === 1) return instance.peers[0] as string;
  if (instance.peers.length > 1) return `the backup among ${instance.peers.join(', ')}`;
  return 'the backup with the highest priority';
}

export function maintenanceEffect(instance: InstanceDetail, on: boolean): string {
  const name = `${instance.name} on this node`;
  if (!on) {
    return `${name} leaves maintenance and returns to the election with priority ${instance.priority.effective}; it takes ${vipList(instance)} back only if it has the highest priority and preempts.`;
  }
  if (instance.state === 'MASTER') return `${name} will lose ${vipList(instance)} to ${successor(instance)}, and stay backup until maintenance is turned off.`;
  const master = instance.masterAddress === null ? '' : ` (now ${instance.masterAddress})`;
  return `${name} is ${instance.state} and holds no VIP; it will not take ${vipList(instance)} over even if the master${master} fails, until maintenance is turned off.`;
}

export function garpEffect(instance: InstanceDetail): string {
  return `${instance.name} on this node sends one gratuitous ARP / NA burst for ${vipList(instance)}, so switches and neighbours point them here.`;
}

export const RELOAD_EFFECT =
  'The daemon rereads its configuration file. Unchanged instances do not notice; a changed instance is rebuilt, and a rebuilt master hands its VIPs to the backup while it restarts. An invalid file changes nothing.';
