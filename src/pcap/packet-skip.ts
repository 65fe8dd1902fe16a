/**
 * Why a captured frame yields no usable IP packet. The kind lets a caller stay quiet about
 * traffic that is simply not its business (ARP, other protocols) and speak up about damage.
 */
export type SkipKind =
  /** The frame carries something other than IPv4 / IPv6 (ARP, LLDP, 802.3 LLC...). */
  | 'not-ip'
  /** The capture's link-layer type is not one the decoder knows. */
  | 'unsupported-link'
  /** An IP fragment: not reassembled (VRRP is never fragmented). */
  | 'fragment'
  /** Headers that are cut short or contradict themselves. */
  | 'malformed';

export interface PacketSkip {
  ok: false;
  kind: SkipKind;
  reason: string;
  /** The upper-layer protocol when the IP header was readable that far. */
  protocol?: number;
}

export function skip(kind: SkipKind, reason: string, protocol?: number): PacketSkip {
  return protocol === undefined ? { ok: false, kind, reason } : { ok: false, kind, reason, protocol };
}
