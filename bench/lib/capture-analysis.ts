/**
 * What the benchmark reads from a switch capture: VRRP adverts (who, when, which VRID and
 * priority) and address announcements (gratuitous ARP, unsolicited neighbour advertisements),
 * decoded with the project's own pcap reader. Capture input never throws here; a frame that does
 * not decode is skipped.
 */
import { readFile } from 'node:fs/promises';
import { ipPacketOf } from '../../src/pcap/captured-packet.js';
import { readCapture } from '../../src/pcap/read-capture.js';
import { VRRP_PROTOCOL } from '../../src/vrrp/advert.js';
import { decodeAdvert } from '../../src/vrrp/codec.js';
import { formatIpv4, formatIpv6 } from '../../src/vrrp/ip-address.js';

export interface SeenAdvert {
  /** Capture time, epoch milliseconds. */
  ms: number;
  source: string;
  vrid: number;
  priority: number;
}

export interface SeenAnnouncement {
  ms: number;
  /** Ethernet source address, lowercase with colons. */
  mac: string;
  /** The announced address (ARP sender = target address; NA target address). */
  address: string;
  kind: 'garp' | 'unsolicited-na';
}

export interface CaptureContents {
  adverts: SeenAdvert[];
  announcements: SeenAnnouncement[];
}

const ETHERTYPE_ARP = 0x0806;
const ETHERNET_HEADER = 14;
const ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;
/** RFC 4861 §4.4: the Solicited flag; an announcement has it clear. */
const NA_SOLICITED = 0x40;

function macText(frame: Buffer, offset: number): string {
  return [...frame.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A gratuitous ARP (RFC 5227 §3: sender and target protocol address are the announced one). */
function gratuitousArp(frame: Buffer): { mac: string; address: string } | undefined {
  if (frame.length < ETHERNET_HEADER + 28 || frame.readUInt16BE(12) !== ETHERTYPE_ARP) return undefined;
  const arp = ETHERNET_HEADER;
  // Ethernet (1) / IPv4 (0x0800), address lengths 6 and 4.
  if (frame.readUInt16BE(arp) !== 1 || frame.readUInt16BE(arp + 2) !== 0x0800 || frame[arp + 4] !== 6 || frame[arp + 5] !== 4) return undefined;
  const sender = formatIpv4(frame, arp + 14);
  const target = formatIpv4(frame, arp + 24);
  return sender === target ? { mac: macText(frame, 6), address: sender } : undefined;
}

export function analyseCapture(file: Buffer): CaptureContents {
  const adverts: SeenAdvert[] = [];
  const announcements: SeenAnnouncement[] = [];
  try {
    for (const record of readCapture(file)) {
      const ms = record.time * 1000;
      const arp = gratuitousArp(record.data);
      if (arp) {
        announcements.push({ ms, ...arp, kind: 'garp' });
        continue;
      }
      const ip = ipPacketOf(record);
      if (!ip.ok) continue;
      const { protocol, payload, source, family } = ip.packet;
      if (protocol === VRRP_PROTOCOL) {
        try {
          const [advert] = decodeAdvert(payload, 0, family);
          adverts.push({ ms, source, vrid: advert.vrid, priority: advert.priority });
        } catch {
          /* not a decodable advert: not one of the daemons' */
        }
      } else if (protocol === ICMPV6 && payload.length >= 24 && payload[0] === ND_NEIGHBOR_ADVERT) {
        if (((payload[4] as number) & NA_SOLICITED) === 0) {
          announcements.push({ ms, mac: macText(record.data, 6), address: formatIpv6(payload, 8), kind: 'unsolicited-na' });
        }
      }
    }
  } catch {
    /* a file cut short (tcpdump stopped mid-write): what was read before is what there is */
  }
  return { adverts, announcements };
}

export async function readCaptureContents(path: string): Promise<CaptureContents> {
  return analyseCapture(await readFile(path));
}

/** Gaps between consecutive adverts of one source and VRID, in capture order, ms. */
export function advertIntervals(adverts: readonly SeenAdvert[], source: string, vrid: number, fromMs = -Infinity, toMs = Infinity): number[] {
  const times = adverts.filter((a) => a.source === source && a.vrid === vrid && a.ms >= fromMs && a.ms <= toMs).map((a) => a.ms);
  const intervals: number[] = [];
  for (let i = 1; i < times.length; i++) intervals.push((times[i] as number) - (times[i - 1] as number));
  return intervals;
}
