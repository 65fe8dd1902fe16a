/**
 * Building the lab's wiring with iproute2: a switch namespace holding a bridge, and per host a
 * namespace with one veth whose peer sits in the switch namespace.
 *
 *   host ns:   eth0 ──veth── h-<host>  (switch ns, port of br0)
 *   impaired:  eth0 ──veth── h-<host> ⇄ relay ⇄ r-<host> ──veth── p-<host> (port of br0)
 */
import { BRIDGE, HOST_INTERFACE, switchInterfaces } from './naming.js';
import { run } from './shell.js';
import { waitFor } from './wait-for.js';

export interface HostPlan {
  name: string;
  ns: string;
  mac: string;
  ipv4: string;
  /** Undefined when the lab has no IPv6. */
  ipv6: string | undefined;
}

function ip(ns: string, ...args: string[]): Promise<unknown> {
  return run(['ip', '-n', ns, ...args]);
}

function sysctl(ns: string, settings: Record<string, number>): Promise<unknown> {
  const assignments = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  return run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...assignments]);
}

export async function createSwitch(ns: string): Promise<void> {
  await run(['ip', 'netns', 'add', ns]);
  // The switch only bridges: no addresses, no router solicitations or MLD of its own.
  await sysctl(ns, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
  await ip(ns, 'link', 'set', 'lo', 'up');
  // No STP (ports forward at once) and no multicast snooping (VRRP and ND multicast reach every port).
  await ip(ns, 'link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0');
  await ip(ns, 'link', 'set', BRIDGE, 'up');
}

/** Creates the host's namespace and link; returns its IPv6 link-local address when IPv6 is on. */
export async function createHost(plan: HostPlan, switchNs: string, offloads = false): Promise<string | undefined> {
  const { hostPeer } = switchInterfaces(plan.name);
  await run(['ip', 'netns', 'add', plan.ns]);
  // Set before the interface exists so it inherits the defaults: no duplicate address detection,
  // addresses are usable the moment they are added.
  await sysctl(
    plan.ns,
    plan.ipv6
      ? { 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.default.dad_transmits': 0 }
      : { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 },
  );
  await ip(plan.ns, 'link', 'set', 'lo', 'up');
  await run([
    'ip', 'link', 'add', 'name', HOST_INTERFACE, 'netns', plan.ns, 'address', plan.mac,
    'type', 'veth', 'peer', 'name', hostPeer, 'netns', switchNs,
  ]);
  // One segment per packet: TCP would otherwise hand the veth 64 KiB super-frames (segmentation
  // offload), which pass a bridge but not the impairment relay's packet sockets. A lab that is
  // never impaired may keep them (LabOptions.offloads), as a NIC with TSO and GRO does.
  if (!offloads) await ip(plan.ns, 'link', 'set', HOST_INTERFACE, 'gso_max_segs', '1', 'gso_max_size', '1514');
  await ip(switchNs, 'link', 'set', hostPeer, 'master', BRIDGE);
  await ip(switchNs, 'link', 'set', hostPeer, 'up');
  await ip(plan.ns, 'link', 'set', HOST_INTERFACE, 'up');
  await ip(plan.ns, 'addr', 'add', `${plan.ipv4}/24`, 'dev', HOST_INTERFACE);
  if (!plan.ipv6) return undefined;
  await ip(plan.ns, 'addr', 'add', `${plan.ipv6}/64`, 'dev', HOST_INTERFACE, 'nodad');
  return waitFor(() => readLinkLocal(plan.ns), { description: `the link-local address of ${plan.name}`, timeoutMs: 10_000, intervalMs: 20 });
}

async function readLinkLocal(ns: string): Promise<string | undefined> {
  const { stdout } = await run(['ip', '-n', ns, '-6', '-o', 'addr', 'show', 'dev', HOST_INTERFACE, 'scope', 'link']);
  return /inet6 (fe80:[0-9a-f:]+)\//.exec(stdout)?.[1];
}

/** The port of the bridge that carries the host's traffic (the relay's port once impaired). */
export function bridgePortOf(host: string, relayed: boolean): string {
  const names = switchInterfaces(host);
  return relayed ? names.bridgePort : names.hostPeer;
}

/** Adds the relay's veth pair (r-<host> for the relay, p-<host> for the bridge), both up. */
export async function addRelayPorts(switchNs: string, host: string): Promise<void> {
  const { relayPeer, bridgePort } = switchInterfaces(host);
  await ip(switchNs, 'link', 'add', relayPeer, 'type', 'veth', 'peer', 'name', bridgePort);
  await ip(switchNs, 'link', 'set', relayPeer, 'up');
  await ip(switchNs, 'link', 'set', bridgePort, 'up');
}

export async function attachToBridge(switchNs: string, port: string): Promise<void> {
  await ip(switchNs, 'link', 'set', port, 'master', BRIDGE);
}

export async function detachFromBridge(switchNs: string, port: string): Promise<void> {
  await ip(switchNs, 'link', 'set', port, 'nomaster');
}

/** Switch-side end of the host's veth up or down: down is carrier loss on the host's eth0. */
export async function setHostPeer(switchNs: string, host: string, up: boolean): Promise<void> {
  await ip(switchNs, 'link', 'set', switchInterfaces(host).hostPeer, up ? 'up' : 'down');
}
