/**
 * Who claims addresses on an interface: one ARP packet socket per interface, opened when the first
 * listener subscribes and closed with the last, shared by every instance with VIPs there. Each
 * frame reaches only the listeners of its sender address (a map lookup, so a flood costs the same
 * with one VIP or hundreds). Frames this host sent (PACKET_OUTGOING) are nobody else's claims.
 */
import { parseArpClaim, type ArpClaim } from '../net/arp.js';
import type { CapturedFrame, PacketCapture } from '../net/packet-socket.js';
import type { Logger } from '../ports/index.js';

/** linux/if_packet.h: the frame was sent by this host. */
const PACKET_OUTGOING = 4;

export type ArpClaimListener = (claim: ArpClaim) => void;

/** Opens the ARP capture of one interface (openPacketCapture with ETHERTYPE_ARP in production). */
export type OpenArpCapture = (ifindex: number, onFrame: (captured: CapturedFrame) => void, onError: (error: Error) => void) => PacketCapture;

interface WatchedInterface {
  capture: PacketCapture;
  /** Listeners by the (IPv4, dotted) address they watch. */
  byAddress: Map<string, Set<ArpClaimListener>>;
}

export class ArpClaimWatch {
  private readonly interfaces = new Map<number, WatchedInterface>();

  constructor(
    private readonly open: OpenArpCapture,
    private readonly log: Logger,
  ) {}

  /**
   * Calls `listener` with every claim on `address` heard on `ifindex`; returns the unsubscribe
   * function. Throws when the capture cannot be opened.
   */
  watch(ifindex: number, address: string, listener: ArpClaimListener): () => void {
    let watched = this.interfaces.get(ifindex);
    if (watched === undefined) {
      const byAddress = new Map<string, Set<ArpClaimListener>>();
      const capture = this.open(ifindex, (captured) => this.deliver(captured, byAddress), (error) => {
        this.log.log('warn', 'cannot read ARP packets', { ifindex, error: error.message });
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

  private deliver(captured: CapturedFrame, byAddress: ReadonlyMap<string, ReadonlySet<ArpClaimListener>>): void {
    if (captured.pkttype === PACKET_OUTGOING) return;
    const claim = parseArpClaim(captured.frame);
    if (claim === undefined) return;
    for (const listener of byAddress.get(claim.address) ?? []) {
      try {
        listener(claim);
      } catch (err) {
        this.log.log('error', 'ARP claim handler failed', { error: String(err) });
      }
    }
  }
}
