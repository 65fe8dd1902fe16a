/**
 * From a captured frame to its IP packet: link layer, then IP header. Never throws.
 */
import type { CaptureRecord } from './capture-record.js';
import { parseIpPacket, type IpPacketResult } from './ip-packet.js';
import { locateNetworkLayer } from './link-layer.js';

/** The IP packet a captured frame carries, or why it carries none that can be used. */
export function ipPacketOf(record: Pick<CaptureRecord, 'linkType' | 'data'>): IpPacketResult {
  const network = locateNetworkLayer(record.linkType, record.data);
  if (!network.ok) return network;
  return parseIpPacket(record.data, network.offset, network.family);
}
