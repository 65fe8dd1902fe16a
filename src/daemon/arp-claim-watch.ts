/**
 * Who claims addresses on an interface: one ARP packet socket per interface, opened when the first
 * listener subscribes and closed with the last, shared by every instance with VIPs there. Frames
 * this host sent (PACKET_OUTGOING) are not claims by anyone else, and are left out.
 */
import { parseArpClaim, type ArpClaim } from '../net/arp.js';
import type { CapturedFrame, PacketCapture } from '../net/packet-socket.js';
import type { Logger } from '../ports/index.js';

/** linux/if_packet.h: the frame was sent by this host. */
const PACKET_OUTGOING = 4;

export type ArpClaimListener = (claim: ArpClaim) => void;

/** Opens the ARP capture of one interface (openPacketCapture with ETHERTYPE_ARP in production). */
export type OpenArpCapture = (ifindex: number, onFrame: (captured: CapturedFrame) => void, onError: (error: Error) => void) => PacketCapture;

export class ArpClaimWatch {
  private readonly interfaces = new Map<number, { capture: PacketCapture; listeners: Set<ArpClaimListener> }>();

  constructor(
    private readonly open: OpenArpCapture,
    private readonly log: Logger,
  ) {}

  /** Calls `listener` with every claim heard on `ifindex`; returns the unsubscribe function. */
  watch(ifindex: number, listener: ArpClaimListener): () => void {
    let watched = this.interfaces.get(ifindex);
    if (watched === undefined) {
      const listeners = new Set<ArpClaimListener>();
      const capture = this.open(ifindex, (captured) => this.deliver(captured, listeners), (error) => {
        this.log.log('warn', 'cannot read ARP packets', { ifindex, error: error.message });
      });
      watched = { capture, listeners };
      this.interfaces.set(ifindex, watched);
    }
    const entry = watched;
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size > 0 || this.interfaces.get(ifindex) !== entry) return;
      this.interfaces.delete(ifindex);
      entry.capture.close();
    };
  }

  close(): void {
    for (const { capture } of this.interfaces.values()) capture.close();
    this.interfaces.clear();
  }

  private deliver(captured: CapturedFrame, listeners: ReadonlySet<ArpClaimListener>): void {
    if (captured.pkttype === PACKET_OUTGOING) return;
    const claim = parseArpClaim(captured.frame);
    if (claim === undefined) return;
    for (const listener of listeners) {
      try {
        listener(claim);
      } catch (err) {
        this.log.log('error', 'ARP claim handler failed', { error: String(err) });
      }
    }
  }
}
