/**
 * VRRP sockets shared by instances: one transport and dispatcher per group of instances that send
 * and receive alike (today: interface, family, source address and multicast group). An instance
 * joins its group when built and leaves it when disposed; the last one to leave closes the
 * sockets. Drops no instance claims are counted per group and kept after the group closes.
 */
import type { InstanceConfig } from '../config/model.js';
import type { NativeBinding } from '../net/native.js';
import type { LinkInfo } from '../net/netlink/link.js';
import { openVrrpTransport, type VrrpTransport } from '../net/vrrp-socket.js';
import type { Clock, Logger } from '../ports/index.js';
import { type DropReason, newDropCounters } from '../vrrp/drop-reason.js';
import { AdvertDispatcher } from './advert-dispatcher.js';
import type { InstanceRunner } from './instance-runner.js';

/** Where and how an instance sends and receives. */
export interface SocketSpec {
  instance: InstanceConfig;
  link: LinkInfo;
  source: string;
  multicastGroup: string;
}

/** An instance's place in its group. */
export interface SocketMembership {
  readonly transport: VrrpTransport;
  /** Adverts for the runner's VRID go to it from now on. */
  deliverTo(runner: InstanceRunner): void;
  /** Stops delivery; closes the sockets when no member is left. Idempotent. */
  leave(): void;
}

interface Group {
  name: string;
  transport: VrrpTransport;
  dispatcher: AdvertDispatcher;
  members: number;
}

/**
 * Which instances share sockets. Everything the transport is opened with must be in the key; what
 * differs between members goes with each send (unicast destinations and TTL) or is told apart on
 * receipt (a shared VRID of unicast instances, by source: see AdvertDispatcher).
 */
function groupKey(spec: SocketSpec): string {
  return `${spec.link.index}/${spec.instance.family}/${spec.source}/${spec.multicastGroup}`;
}

export class SocketGroups {
  private readonly groups = new Map<string, Group>();
  /** Unmatched drops of groups already closed, by group name, so the counters never go back. */
  private readonly retired = new Map<string, Record<DropReason, number>>();

  constructor(
    private readonly native: NativeBinding,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  join(spec: SocketSpec): SocketMembership {
    const key = groupKey(spec);
    const group = this.groups.get(key) ?? this.open(key, spec);
    group.members++;
    let runner: InstanceRunner | undefined;
    let left = false;
    return {
      transport: group.transport,
      deliverTo: (r) => {
        runner = r;
        group.dispatcher.add(r);
      },
      leave: () => {
        if (left) return;
        left = true;
        if (runner) group.dispatcher.remove(runner);
        if (--group.members === 0) this.retire(key, group);
      },
    };
  }

  /** Drops that belong to no instance of ours, by group ("eth0/ipv4"). */
  unmatchedDrops(): Record<string, Record<DropReason, number>> {
    const drops: Record<string, Record<DropReason, number>> = {};
    const add = (name: string, counters: Record<DropReason, number>) => {
      const sum = (drops[name] ??= newDropCounters());
      for (const reason of Object.keys(counters) as DropReason[]) sum[reason] += counters[reason];
    };
    for (const [name, counters] of this.retired) add(name, counters);
    for (const group of this.groups.values()) add(group.name, group.dispatcher.unmatchedDrops);
    return drops;
  }

  close(): void {
    for (const [key, group] of this.groups) this.retire(key, group);
  }

  private open(key: string, spec: SocketSpec): Group {
    const { instance, link, source } = spec;
    const transport = openVrrpTransport(
      {
        family: instance.family,
        interfaceName: link.name,
        ifindex: link.index,
        sourceAddress: source,
        multicastGroup: spec.multicastGroup,
      },
      this.native,
    );
    const dispatcher = new AdvertDispatcher(new Set([source]), this.clock, this.log.child({ iface: link.name }));
    transport.onPacket((payload, info) => dispatcher.handle(payload, info));
    transport.onError((err) => this.log.log('warn', 'VRRP socket error', { iface: link.name, error: err.message }));
    const group = { name: `${link.name}/ipv${instance.family}`, transport, dispatcher, members: 0 };
    this.groups.set(key, group);
    return group;
  }

  private retire(key: string, group: Group): void {
    this.groups.delete(key);
    group.transport.close();
    const kept = this.retired.get(group.name) ?? newDropCounters();
    for (const reason of Object.keys(kept) as DropReason[]) kept[reason] += group.dispatcher.unmatchedDrops[reason];
    this.retired.set(group.name, kept);
  }
}
