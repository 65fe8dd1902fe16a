/**
 * Who claims addresses on an interface (src/net/address-claim.ts): one packet socket per
 * interface, opened when the first listener subscribes and closed with the last, shared by every
 * instance with VIPs there. Each frame reaches only the listeners of its address (a map lookup,
 * so a flood costs the same with one VIP or hundreds). Frames this host sent (PACKET_OUTGOING)
 * are nobody else's claims. One watch per kind of frame: ARP (IPv4), neighbour adverts (IPv6).
 */
import type { AddressClaim } from '../net/address-claim.js';
import type { CapturedFrame, PacketCapture } from '../net/packet-socket.js';
import type { Logger } from '../ports/index.js';

/** linux/if_packet.h: the frame was sent by this host. */
const PACKET_OUTGOING = 4;

export type AddressClaimListener = (claim: AddressClaim) => void;

/** Opens the capture of one interface (openPacketCapture in production). */
export type OpenClaimCapture = (ifindex: number, onFrame: (captured: CapturedFrame) => void, onError: (error: Error) => void) => PacketCapture;

interface WatchedInterface {
  capture: PacketCapture;
  /** Listeners by the (canonical) address they watch. */
  byAddress: Map<string, Set<AddressClaimListener>>;
}

export class AddressClaimWatch {
  private readonly interfaces = new Map<number, WatchedInterface>();

  constructor(
    /** What the frames are, for logs: "ARP", "neighbour advert". */
    private readonly what: string,
    private readonly open: OpenClaimCapture,
    private readonly parse: (frame: Buffer) => AddressClaim | undefined,
    private readonly log: Logger,
  ) {}

  /**
   * Calls `listener` with every claim on `address` (canonical text) heard on `ifindex`; returns
   * the unsubscribe function. Throws when the capture cannot be opened.
   */
  watch(ifindex: number, address: string, listener: AddressClaimListener): () => void {
    let watched = this.interfaces.get(ifindex);
    if (watched === undefined) {
      const byAddress = new Map<string, Set<AddressClaimListener>>();
      const capture = this.open(ifindex, (captured) => this.deliver(captured, byAddress), (error) => {
        this.log.log('warn', `cannot read ${this.what} packets`, { ifindex, error: error.message });
      });
      watched = { capture, byAddress };
      this.interfaces.set(ifindex, watched);
    }
    const entry = watched;
    let listeners = entry.byAddress.get(address);
    if (listeners === undefined) entry.byAddress.set(address, (listeners = new Set()));
    const set = listeners;
    set.add(listener);
    return () => {
      if (!set.delete(listener)) return;
      if (set.size === 0 && entry.byAddress.get(address) === set) entry.byAddress.delete(address);
      if (entry.byAddress.size > 0 || this.interfaces.get(ifindex) !== entry) return;
      this.interfaces.delete(ifindex);
      entry.capture.close();
    };
  }

  close(): void {
    for (const { capture } of this.interfaces.values()) capture.close();
    this.interfaces.clear();
  }

  private deliver(captured: CapturedFrame, byAddress: ReadonlyMap<string, ReadonlySet<AddressClaimListener>>): void {
    if (captured.pkttype === PACKET_OUTGOING) return;
    const claim = this.parse(captured.frame);
    if (claim === undefined) return;
    for (const listener of byAddress.get(claim.address) ?? []) {
      try {
        listener(claim);
      } catch (err) {
        this.log.log('error', `${this.what} claim handler failed`, { error: String(err) });
      }
    }
  }
}
