/**
 * Finds the IP packet inside a captured frame: strips the link-layer header named by the
 * capture's link type (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL / SLL2, raw IP).
 * Network input: never throws, says why a frame carries no IP packet instead.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_RAW,
} from './capture-record.js';
import { skip, type PacketSkip } from './packet-skip.js';

export type NetworkLayerResult =
  | { ok: true; family: AddressFamily; offset: number }
  | PacketSkip;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q, 802.1ad (QinQ) and the older QinQ value: a 4-byte tag, then the next EtherType. */
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);
const VLAN_TAG_LENGTH = 4;
/** Below this the field is an IEEE 802.3 length, not an EtherType. */
const ETHERTYPE_MIN = 0x0600;

const ETHERNET_HEADER_LENGTH = 14;
/** SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol. */
const SLL_HEADER_LENGTH = 16;
const SLL_PROTOCOL_OFFSET = 14;
/** SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes. */
const SLL2_HEADER_LENGTH = 20;
const SLL2_PROTOCOL_OFFSET = 0;

/** Where the IP header starts in a frame of the given link type, and which IP version it is. */
export function locateNetworkLayer(linkType: number, frame: Buffer): NetworkLayerResult {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return afterEtherType(frame, ETHERNET_HEADER_LENGTH - 2, 'Ethernet');
    case LINKTYPE_LINUX_SLL:
      return afterEtherType(frame, SLL_PROTOCOL_OFFSET, 'Linux cooked (SLL)', SLL_HEADER_LENGTH);
    case LINKTYPE_LINUX_SLL2:
      return afterEtherType(frame, SLL2_PROTOCOL_OFFSET, 'Linux cooked (SLL2)', SLL2_HEADER_LENGTH);
    case LINKTYPE_RAW:
      return rawIp(frame);
    case LINKTYPE_IPV4:
      return { ok: true, family: 4, offset: 0 };
    case LINKTYPE_IPV6:
      return { ok: true, family: 6, offset: 0 };
    default:
      return skip('unsupported-link', `unsupported link type ${linkType}`);
  }
}

/**
 * Reads the EtherType at typeOffset (skipping VLAN tags, which sit right after it) and returns
 * where the network layer begins: after the header (headerLength) or after the last tag.
 */
function afterEtherType(
  frame: Buffer,
  typeOffset: number,
  name: string,
  headerLength = typeOffset + 2,
): NetworkLayerResult {
  if (frame.length < headerLength) {
    return skip('malformed', `${name} header truncated (${frame.length} of ${headerLength} bytes)`);
  }
  let etherType = frame.readUInt16BE(typeOffset);
  let offset = headerLength;
  while (VLAN_ETHERTYPES.has(etherType)) {
    if (frame.length - offset < VLAN_TAG_LENGTH) return skip('malformed', `VLAN tag truncated at byte ${offset}`);
    etherType = frame.readUInt16BE(offset + 2);
    offset += VLAN_TAG_LENGTH;
  }
  if (etherType === ETHERTYPE_IPV4) return { ok: true, family: 4, offset };
  if (etherType === ETHERTYPE_IPV6) return { ok: true, family: 6, offset };
  if (etherType < ETHERTYPE_MIN) return skip('not-ip', `not IP (802.3 length field ${etherType})`);
  return skip('not-ip', `not IP (EtherType 0x${etherType.toString(16).padStart(4, '0')})`);
}

/** LINKTYPE_RAW: the IP version nibble says which. */
function rawIp(frame: Buffer): NetworkLayerResult {
  if (frame.length === 0) return skip('malformed', 'empty raw IP frame');
  const version = frame.readUInt8(0) >> 4;
  if (version === 4 || version === 6) return { ok: true, family: version, offset: 0 };
  return skip('malformed', `raw IP frame with IP version ${version}`);
}
