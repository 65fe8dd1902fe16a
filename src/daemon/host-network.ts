/**
 * The host's network as the daemon sees it: rtnetlink, the links and addresses it reports (kept
 * current by notifications, re-read on reload and when notifications were lost), and the packet
 * sockets GARPs / unsolicited NAs go out on and other hosts' claims on the VIPs come in on.
 * Subsystems subscribe to link and address changes here instead of to netlink, so one change
 * reaches each of them once, after the state is updated.
 */
import type { NativeBinding } from '../net/native.js';
import type { AddressInfo } from '../net/netlink/address.js';
import type { LinkInfo } from '../net/netlink/link.js';
import { RtNetlink, type ChangeKind } from '../net/netlink/rtnetlink.js';
import { ETHERTYPE_ARP, parseArpClaim } from '../net/arp.js';
import { icmpv6TypeFilter } from '../net/bpf-program.js';
import { ETHERTYPE_IPV6, ICMPV6_NEIGHBOUR_ADVERTISEMENT, parseNeighbourAdvertClaim } from '../net/neighbour-advert.js';
import { openPacketCapture, openPacketSender, type PacketSender } from '../net/packet-socket.js';
import type { Logger } from '../ports/index.js';
import type { AddressFamily } from '../vrrp/advert.js';
import { AddressClaimWatch, type AddressClaimListener } from './address-claim-watch.js';

export type LinkListener = (link: LinkInfo, change: ChangeKind) => void;
export type AddressListener = (address: AddressInfo, change: ChangeKind) => void;

export class HostNetwork {
  private readonly links = new Map<number, LinkInfo>();
  private readonly addressTable = new Map<string, AddressInfo>();
  private readonly linkListeners = new Set<LinkListener>();
  private readonly addressListeners = new Set<AddressListener>();
  private readonly senders = new Map<number, PacketSender>();
  private readonly claims: Record<AddressFamily, AddressClaimWatch>;

  private constructor(
    private readonly native: NativeBinding,
    /** The kernel's address table for VIP holders (and route / rule tables beside them). */
    readonly netlink: RtNetlink,
    private readonly log: Logger,
  ) {
    // IPv6: only neighbour adverts, chosen in the kernel; the interface's other IPv6 traffic never wakes us.
    const naFilter = icmpv6TypeFilter(ICMPV6_NEIGHBOUR_ADVERTISEMENT);
    this.claims = {
      4: new AddressClaimWatch('ARP', (ifindex, onFrame, onError) => openPacketCapture(ifindex, native, onFrame, onError, ETHERTYPE_ARP), parseArpClaim, log),
      6: new AddressClaimWatch('neighbour advert', (ifindex, onFrame, onError) => openPacketCapture(ifindex, native, onFrame, onError, ETHERTYPE_IPV6, naFilter), parseNeighbourAdvertClaim, log),
    };
    // Subscribed before the first dump, so no change falls between the two.
    netlink.onLink((link, change) => {
      if (change === 'del') this.links.delete(link.index);
      else this.links.set(link.index, link);
      this.emit(this.linkListeners, link, change);
    });
    netlink.onAddress((address, change) => {
      if (change === 'del') this.addressTable.delete(addressKey(address));
      else this.addressTable.set(addressKey(address), address);
      this.emit(this.addressListeners, address, change);
    });
    netlink.onResync((reason) => {
      log.log('warn', 'netlink notifications were lost; re-reading links and addresses', { reason });
      this.refresh().catch((err: unknown) => log.log('error', 'cannot re-read links and addresses', { error: String(err) }));
    });
    netlink.onError((err) => log.log('error', 'netlink error', { error: err.message }));
  }

  /** Opens rtnetlink and reads the links and addresses. */
  static async open(native: NativeBinding, log: Logger): Promise<HostNetwork> {
    const network = new HostNetwork(native, RtNetlink.open(native), log);
    try {
      await network.refresh();
    } catch (err) {
      network.close();
      throw err;
    }
    return network;
  }

  /**
   * Re-reads links and addresses from the kernel (a reload, or notifications were lost) and tells
   * the subscribers what differs from what they were told.
   */
  async refresh(): Promise<void> {
    const [links, addresses] = await Promise.all([this.netlink.links(), this.netlink.addresses()]);
    const linkChanges = differences(this.links, new Map(links.map((l) => [l.index, l])));
    const addressChanges = differences(this.addressTable, new Map(addresses.map((a) => [addressKey(a), a])));
    for (const [link, change] of linkChanges) {
      if (change === 'del') this.links.delete(link.index);
      else this.links.set(link.index, link);
    }
    for (const [address, change] of addressChanges) {
      if (change === 'del') this.addressTable.delete(addressKey(address));
      else this.addressTable.set(addressKey(address), address);
    }
    for (const [link, change] of linkChanges) this.emit(this.linkListeners, link, change);
    for (const [address, change] of addressChanges) this.emit(this.addressListeners, address, change);
  }

  link(name: string): LinkInfo | undefined {
    for (const link of this.links.values()) if (link.name === name) return link;
    return undefined;
  }

  linkByIndex(index: number): LinkInfo | undefined {
    return this.links.get(index);
  }

  /** Up with carrier, by interface name; false for an interface that does not exist. */
  linkUp(name: string): boolean {
    const link = this.link(name);
    return link !== undefined && link.up && link.carrier;
  }

  addresses(): AddressInfo[] {
    return [...this.addressTable.values()];
  }

  /** Called after the state is updated. Returns an unsubscribe function. */
  onLinkChange(listener: LinkListener): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  onAddressChange(listener: AddressListener): () => void {
    this.addressListeners.add(listener);
    return () => this.addressListeners.delete(listener);
  }

  /** The send-only packet socket of an interface, opened at first use and kept until close(). */
  packetSender(ifindex: number): PacketSender {
    let sender = this.senders.get(ifindex);
    if (sender === undefined) {
      sender = openPacketSender(ifindex, this.native);
      this.senders.set(ifindex, sender);
    }
    return sender;
  }

  /**
   * Claims on `address` (canonical text) heard on an interface, by ARP or neighbour adverts
   * (address-defence.ts); returns the unsubscribe function.
   */
  watchAddressClaims(ifindex: number, family: AddressFamily, address: string, listener: AddressClaimListener): () => void {
    return this.claims[family].watch(ifindex, address, listener);
  }

  close(): void {
    this.claims[4].close();
    this.claims[6].close();
    for (const sender of this.senders.values()) sender.close();
    this.senders.clear();
    this.netlink.close();
  }

  /** A subscriber that throws is logged; the others still hear of the change. */
  private emit<T>(listeners: ReadonlySet<(item: T, change: ChangeKind) => void>, item: T, change: ChangeKind): void {
    for (const listener of listeners) {
      try {
        listener(item, change);
      } catch (err) {
        this.log.log('error', 'network change handler failed', { error: String(err) });
      }
    }
  }
}

function addressKey(address: AddressInfo): string {
  return `${address.index} ${address.address}`;
}

/** What turns `before` into `after`: new or changed entries as 'new', vanished ones as 'del'. */
function differences<K, V>(before: ReadonlyMap<K, V>, after: ReadonlyMap<K, V>): Array<[V, ChangeKind]> {
  const changes: Array<[V, ChangeKind]> = [];
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined || JSON.stringify(old) !== JSON.stringify(value)) changes.push([value, 'new']);
  }
  for (const [key, value] of before) if (!after.has(key)) changes.push([value, 'del']);
  return changes;
}
