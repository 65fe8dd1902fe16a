/**
 * Builds VRRP instances on this host: where each one runs (its interface, source address, VIP
 * devices, socket group), and the runner with its ports — the VIP holder, the GARP / NA announcer
 * and the advert sender, the defence of its VIPs against other MACs' claims (address-defence.ts);
 * beside the VIP holder the virtual routes / rules and no_accept's drop rule (VipAndRouteHolder),
 * and, with use_vmac, adverts from the VMAC (created by vmac.ts).
 *
 * It remembers where each built instance runs, so a reload can tell which instances the host
 * moved under (a new source address, an interface re-created) and rebuild those.
 */
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, InstanceConfig } from '../config/model.js';
import { buildGratuitousArp } from '../net/arp.js';
import { buildUnsolicitedNeighbourAdvert } from '../net/neighbour-advert.js';
import type { AddressInfo } from '../net/netlink/address.js';
import type { LinkInfo } from '../net/netlink/link.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import { canonicalIp, parseIp } from '../vrrp/ip-address.js';
import { AddressDefence } from './address-defence.js';
import { ScheduledAnnouncer } from './announcer.js';
import type { ManagedInstance } from './controller.js';
import type { HostNetwork } from './host-network.js';
import { InstanceRunner, type TransitionRecord } from './instance-runner.js';
import type { SocketGroups } from './socket-groups.js';
import { rehearseTakeover } from './takeover-rehearsal.js';
import { AddressVipHolder, type AddressTable, type ResolvedVip } from './vip-holder.js';
import type { AddedVips } from './vip-ledger.js';
import type { AcceptModeFirewall } from './accept-mode.js';
import { RouteRuleHolder, VipAndRouteHolder, type RoutingTable } from './route-holder.js';
import { routeSpecsOf, ruleSpecsOf } from './virtual-network.js';
import type { VipGates } from './vip-gate.js';

/** What the factory needs of the host's network (HostNetwork in production). */
export type HostView = Pick<HostNetwork, 'link' | 'linkByIndex' | 'addresses' | 'packetSender' | 'watchAddressClaims'> & { netlink: AddressTable & RoutingTable };

export interface InstanceFactoryDeps {
  network: HostView;
  sockets: SocketGroups;
  clock: Clock;
  timers: Timers;
  wallClock: () => Date;
  log: Logger;
  /** What this daemon added to the interfaces, also in earlier runs (vip-ledger.ts); in memory when absent. */
  addedVips?: AddedVips;
  /** A master heard a lower-priority advert (notify_master_rx_lower_pri). */
  lowerPriorityHeard?: (runner: InstanceRunner) => void;
  /** Another MAC claimed a VIP of a master, which defends it in `inMs` (once per defence, not per frame). */
  addressClaimed?: (runner: InstanceRunner, claimedBy: string, inMs: number) => void;
  /** no_accept's drop rules (accept-mode.ts); none: no instance drops traffic. */
  firewall?: Pick<AcceptModeFirewall, 'blockerFor'>;
  /** VIPs held back until resources are promoted (vip-gate.ts); none: never held back. */
  gates?: VipGates;
}

export type TransitionListener = (record: TransitionRecord, runner: InstanceRunner) => void;

/** Where an instance runs on this host, as far as a rebuilt instance would differ. */
export interface Placement {
  link: LinkInfo;
  source: string;
  multicastGroup: string;
  vips: ResolvedVip[];
  /** The hardware address each VIP is announced with, by VIP device index. */
  macs: Array<string | undefined>;
}

export class InstanceFactory {
  private config: HotstandbyConfig;
  private readonly placements = new Map<string, Placement>();
  private readonly holders = new Set<AddressVipHolder>();
  private readonly transitionListeners = new Set<TransitionListener>();

  constructor(
    config: HotstandbyConfig,
    private readonly deps: InstanceFactoryDeps,
  ) {
    this.config = config;
  }

  /** The configuration instances are built for from now on (a reload was accepted). */
  useConfig(config: HotstandbyConfig): void {
    this.config = config;
  }

  /** Every transition of every instance built here (the controller, notify hooks, ...). */
  onTransition(listener: TransitionListener): () => void {
    this.transitionListeners.add(listener);
    return () => this.transitionListeners.delete(listener);
  }

  /** Builds an instance (not started). Throws ConfigError when the host lacks what it needs. */
  build(instance: InstanceConfig): ManagedInstance {
    const { network, sockets, clock, timers, wallClock } = this.deps;
    const log = this.deps.log.child({ instance: instance.name, vrid: instance.vrid, iface: instance.interface });
    const placement = place(instance, this.config, network);
    const source = { text: placement.source, bytes: parseIp(placement.source).bytes };
    // use_vmac: adverts go out of the VMAC unless vmac_xmit_base (the source stays the base's address).
    const advertLink = instance.vmac && !instance.vmac.xmitBase ? requireLink(network.link(instance.vmac.name), instance.vmac.name, instance) : placement.link;
    const membership = sockets.join({ instance, link: advertLink, source: placement.source, multicastGroup: placement.multicastGroup });
    const vips = new AddressVipHolder(placement.vips, network.netlink, log, this.deps.addedVips);
    const ifindexOf = (name: string) => requireLink(network.link(name), name, instance).index;
    const routes = new RouteRuleHolder(routeSpecsOf(instance, ifindexOf), ruleSpecsOf(instance), network.netlink, log);
    const held = new VipAndRouteHolder(vips, routes, this.deps.firewall?.blockerFor(instance));
    const frames = placement.vips.map((vip, i) => ({ sender: network.packetSender(vip.ifindex), frame: announcementFrame(vip, placement.macs[i]) }));
    const announcer = new ScheduledAnnouncer(instance.garp, clock, timers, () => {
      let sent = 0;
      for (const { sender, frame } of frames) if (sendSafely(() => sender.send(frame), log, 'gratuitous ARP / NA')) sent++;
      return sent;
    }, instance.lowerPriority);
    const gated = this.deps.gates?.wrap(instance.name, held, announcer) ?? { vips: held, announcer };
    rehearseTakeover(instance, source, placement.vips);
    const defence = new AddressDefence(clock, timers, 2 * instance.advertIntervalMs, {
      defend: () => runner.defendsVips && runner.sendGarp(),
      scheduled: (claimedBy, inMs) => {
        log.log('warn', 'another MAC announces a VIP of this master; announcing the VIPs again', { claimedBy, inMs });
        this.deps.addressClaimed?.(runner, claimedBy, inMs);
      },
    });
    const runner: InstanceRunner = new InstanceRunner(instance, source, {
      clock,
      wallClock,
      timers,
      // The instance's own unicast TTL: the instances of a socket group may differ in it.
      sender: { send: (payload, destination) => sendSafely(() => membership.transport.send(payload, destination, instance.unicastTtl), log, 'advert') },
      vips: gated.vips,
      announcer: gated.announcer,
      log,
      onTransition: (record) => this.transitioned(record, runner),
      onLowerPriority: () => this.deps.lowerPriorityHeard?.(runner),
      defence,
    });
    membership.deliverTo(runner);
    const stopDefending = watchClaims(runner, defence, placement, network, log);
    this.holders.add(vips);
    this.placements.set(instance.name, placement);
    return {
      runner,
      settled: () => held.settled(),
      dispose: () => {
        stopDefending();
        membership.leave();
        this.holders.delete(vips);
        if (this.placements.get(instance.name) === placement) this.placements.delete(instance.name);
      },
    };
  }

  /**
   * Checks every instance of `config` against the host as it is now, as a start would (throws the
   * same ConfigError), and names the running instances that would be placed differently, with why.
   */
  placementChanges(config: HotstandbyConfig): Map<string, string> {
    const changes = new Map<string, string>();
    for (const instance of config.instances) {
      const next = place(instance, config, this.deps.network);
      const running = this.placements.get(instance.name);
      const why = running && placementDifference(running, next);
      if (why) changes.set(instance.name, why);
    }
    return changes;
  }

  /** An address changed on an interface: a master puts back a VIP of its own that was deleted. */
  addressChanged(address: AddressInfo, change: 'new' | 'del'): void {
    if (change !== 'del') return;
    for (const holder of this.holders) holder.restoreIfOurs(address.index, address.address);
  }

  private transitioned(record: TransitionRecord, runner: InstanceRunner): void {
    for (const listener of this.transitionListeners) {
      try {
        listener(record, runner);
      } catch (err) {
        this.deps.log.log('error', 'transition handler failed', { instance: record.instance, error: String(err) });
      }
    }
  }
}

/**
 * While `runner` is master, another MAC announcing one of its VIPs (ARP; an unsolicited neighbour
 * advert with Override for IPv6) makes it announce them again (address-defence.ts). Returns what
 * stops it.
 */
function watchClaims(runner: InstanceRunner, defence: AddressDefence, placement: Placement, network: HostView, log: Logger): () => void {
  const unwatch: Array<() => void> = [];
  placement.vips.forEach((vip, i) => {
    const ours = placement.macs[i]?.toLowerCase();
    try {
      unwatch.push(
        network.watchAddressClaims(vip.ifindex, vip.config.family, canonicalIp(vip.config.address), (claim) => {
          if (claim.mac !== ours && runner.defendsVips) defence.claimHeard(claim.mac);
        }),
      );
    } catch (err) {
      // The defence is an extra: the instance runs without it (announcing as keepalived does).
      log.log('warn', 'cannot watch claims on the VIP; it is not defended against other MACs', { vip: vip.config.address, error: (err as Error).message });
    }
  });
  return () => {
    for (const stop of unwatch) stop();
    defence.stop();
  };
}

/** Where `instance` of `config` runs on this host; ConfigError when an interface or address is missing. */
function place(instance: InstanceConfig, config: HotstandbyConfig, network: HostView): Placement {
  const link = requireLink(network.link(instance.interface), instance.interface, instance);
  const vips = instance.vips.map((vip): ResolvedVip => ({ config: vip, ifindex: requireLink(network.link(vip.device), vip.device, instance).index }));
  return {
    link,
    source: sourceAddress(instance, link, network.addresses(), config),
    multicastGroup: instance.family === 4 ? config.global.multicastGroup4 : config.global.multicastGroup6,
    vips,
    macs: vips.map((vip) => network.linkByIndex(vip.ifindex)?.mac),
  };
}

/** Why a running instance placed as `a` must be rebuilt to be placed as `b`; undefined when alike. */
export function placementDifference(a: Placement, b: Placement): string | undefined {
  if (a.link.index !== b.link.index) return `interface ${b.link.name} was re-created (index ${a.link.index} → ${b.link.index})`;
  if (a.source !== b.source) return `source address ${a.source} → ${b.source}`;
  if (a.multicastGroup !== b.multicastGroup) return `multicast group ${a.multicastGroup} → ${b.multicastGroup}`;
  for (let i = 0; i < Math.max(a.vips.length, b.vips.length); i++) {
    if (a.vips[i]?.ifindex !== b.vips[i]?.ifindex) return `VIP device ${b.vips[i]?.config.device ?? a.vips[i]?.config.device} was re-created`;
    if (a.macs[i] !== b.macs[i]) return `hardware address of ${b.vips[i]?.config.device} ${a.macs[i] ?? 'none'} → ${b.macs[i] ?? 'none'}`;
  }
  return undefined;
}

/**
 * A send that fails (interface down: ENETDOWN, ENETUNREACH) is a counted failure, never an
 * exception through the protocol: the state change that wanted it must still complete.
 */
function sendSafely(send: () => boolean, log: Logger, what: string): boolean {
  try {
    return send();
  } catch (err) {
    log.log('warn', `cannot send ${what}`, { error: (err as Error).message });
    return false;
  }
}

function requireLink(link: LinkInfo | undefined, name: string, instance: InstanceConfig): LinkInfo {
  if (link === undefined) {
    throw new ConfigError(`interface '${name}' does not exist on this host`, instance.source, 'interface');
  }
  return link;
}

/** The address adverts are sent from: unicast_src_ip, else the primary IPv4 / the IPv6 link-local. */
function sourceAddress(instance: InstanceConfig, link: LinkInfo, addresses: AddressInfo[], config: HotstandbyConfig): string {
  if (instance.unicastSourceAddress !== undefined) return instance.unicastSourceAddress;
  const vips = new Set(config.instances.flatMap((i) => i.vips.map((v) => v.address)));
  const candidates = addresses.filter((a) => a.index === link.index && a.family === instance.family && !vips.has(a.address));
  const chosen =
    instance.family === 4
      ? candidates.find((a) => !a.flags.secondary)
      : candidates.find((a) => a.address.toLowerCase().startsWith('fe80:') && !a.flags.tentative);
  if (chosen === undefined) {
    const what = instance.family === 4 ? 'IPv4 address' : 'usable IPv6 link-local address';
    throw new ConfigError(`interface '${link.name}' has no ${what} to send adverts from`, instance.source, 'interface');
  }
  return chosen.address;
}

function announcementFrame(vip: ResolvedVip, mac: string | undefined): Buffer {
  return vip.config.family === 4
    ? buildGratuitousArp(mac ?? '00:00:00:00:00:00', vip.config.address)
    : buildUnsolicitedNeighbourAdvert({ mac: mac ?? '00:00:00:00:00:00', address: vip.config.address });
}
