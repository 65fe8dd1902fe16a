/**
 * What `hotstandby sniff` prints for one VRRP packet, shared by the capture-file and live modes:
 * the decoded fields and the receive verdict, as one JSON object or one readable line.
 * There is no instance configuration here, so the VRID / version / auth / interval checks of
 * RFC 3768 §7.1 / RFC 5798 §7.1 are skipped; everything else is checked.
 */
import { AUTH_DATA_LENGTH, AUTH_SIMPLE_TEXT, intervalMs, type Advert, type AddressFamily } from '../vrrp/advert.js';
import { checksumOk, HEADER_LENGTH } from '../vrrp/codec.js';
import { DROP_REASON_TEXT, isDropReason } from '../vrrp/drop-reason.js';
import { addressLength, writeIp } from '../vrrp/ip-address.js';
import { validateAdvert } from '../vrrp/validate.js';

/** What the IP layer (capture file or socket) says about the packet. */
export interface SniffIpInfo {
  family: AddressFamily;
  source: string;
  destination: string;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
}

/** One packet as `--json` prints it; null where the packet is too broken to say. */
export interface SniffRecord {
  /** Seconds since the epoch; null when the capture has no timestamp (pcapng simple packets). */
  time: number | null;
  src: string;
  dst: string;
  ttl: number;
  version: number | null;
  type: number | null;
  vrid: number | null;
  priority: number | null;
  intervalMs: number | null;
  addresses: string[] | null;
  /** v2 only: the authentication type. */
  authType?: number | null;
  /** v2 only: the simple text password with trailing NULs removed; null for other auth types. */
  authData?: string | null;
  /** Null when there are not even the 8 header bytes to check. */
  checksumOk: boolean | null;
  /** "ok" or the drop reason (see DROP_REASONS). */
  verdict: string;
}

/** Decodes and checks the VRRP message `payload` (the bytes after the IP header). Never throws. */
export function describeVrrpPacket(time: number, ip: SniffIpInfo, payload: Uint8Array): SniffRecord {
  const source = addressBytes(ip.source, ip.family);
  const destination = addressBytes(ip.destination, ip.family);
  const verdict = validateAdvert(payload, { family: ip.family, source, destination, ttl: ip.ttl });
  const advert = verdict.advert;
  const fields = advert ? advertFields(advert) : headerFields(payload);
  // Built in the order the JSON shows: time, IP header, VRRP fields, [v2 auth], checksum, verdict.
  return {
    time: Number.isFinite(time) ? time : null,
    src: ip.source,
    dst: ip.destination,
    ttl: ip.ttl,
    version: fields.version,
    type: fields.type,
    vrid: fields.vrid,
    priority: fields.priority,
    intervalMs: fields.intervalMs,
    addresses: fields.addresses,
    ...(fields.version === 2 ? { authType: fields.authType ?? null, authData: fields.authData ?? null } : {}),
    checksumOk: payload.length >= HEADER_LENGTH ? checksumOk(payload, ip.family, source, destination, true) : null,
    verdict: verdict.ok ? 'ok' : verdict.reason,
  };
}

/** The address bytes of the text the capture or socket gave; empty (never matches) if it is not one. */
function addressBytes(text: string, family: AddressFamily): Buffer {
  const bytes = Buffer.alloc(addressLength(family));
  return writeIp(text, family, bytes, 0) ? bytes : Buffer.alloc(0);
}

type DecodedFields = Pick<
  SniffRecord,
  'version' | 'type' | 'vrid' | 'priority' | 'intervalMs' | 'addresses' | 'authType' | 'authData'
>;

function advertFields(advert: Advert): DecodedFields {
  const fields: DecodedFields = {
    version: advert.version,
    type: advert.type,
    vrid: advert.vrid,
    priority: advert.priority,
    intervalMs: intervalMs(advert),
    addresses: advert.addresses,
  };
  if (advert.version === 2) {
    fields.authType = advert.authType;
    fields.authData =
      advert.authType === AUTH_SIMPLE_TEXT && advert.authData.length === AUTH_DATA_LENGTH
        ? simplePassword(advert.authData)
        : null;
  }
  return fields;
}

/** RFC 3768 §5.3.6.1: up to 8 characters, NUL-padded. latin1 keeps every byte visible. */
function simplePassword(data: Buffer): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.toString('latin1', 0, end);
}

/** For packets that do not decode: the fixed header bytes that are there (RFC 3768 §5.1 / RFC 5798 §5.1). */
function headerFields(payload: Uint8Array): DecodedFields {
  const byte = (at: number): number | null => (at < payload.length ? (payload[at] as number) : null);
  const first = byte(0);
  const version = first === null ? null : first >> 4;
  const b4 = byte(4);
  const b5 = byte(5);
  let interval: number | null = null;
  if (b4 !== null && b5 !== null) {
    if (version === 2) interval = b5 * 1000;
    else if (version === 3) interval = (((b4 & 0x0f) << 8) | b5) * 10;
  }
  const fields: DecodedFields = {
    version,
    type: first === null ? null : first & 0x0f,
    vrid: byte(1),
    priority: byte(2),
    intervalMs: interval,
    addresses: null,
  };
  if (version === 2) {
    fields.authType = b4;
    fields.authData = null;
  }
  return fields;
}

/** One JSON object, no newline. */
export function formatSniffJson(record: SniffRecord): string {
  return JSON.stringify(record);
}

/** One readable line, no newline: time src → dst ttl vN vrid prio interval addresses auth verdict. */
export function formatSniffText(record: SniffRecord): string {
  const parts = [formatTime(record.time), `${record.src} → ${record.dst}`, `ttl ${record.ttl}`];
  parts.push(record.version === null ? 'v?' : `v${record.version}`);
  if (record.type !== null && record.type !== 1) parts.push(`type ${record.type}`);
  parts.push(`vrid ${record.vrid ?? '?'}`, `prio ${record.priority ?? '?'}`);
  parts.push(`int ${record.intervalMs === null ? '?' : formatInterval(record.intervalMs)}`);
  parts.push(record.addresses === null ? 'addrs ?' : `addrs ${record.addresses.join(',') || '-'}`);
  if (record.version === 2) parts.push(formatAuth(record));
  if (record.checksumOk === false) parts.push('bad-checksum');
  parts.push(formatVerdict(record.verdict));
  return parts.join(' ');
}

function formatAuth(record: SniffRecord): string {
  if (record.authType === 0) return 'auth none';
  if (record.authType === AUTH_SIMPLE_TEXT) return `auth pass ${record.authData === null || record.authData === undefined ? '?' : JSON.stringify(record.authData)}`;
  return `auth type ${record.authType ?? '?'}`;
}

function formatVerdict(verdict: string): string {
  if (verdict === 'ok') return 'ok';
  return isDropReason(verdict) ? `DROP ${verdict} (${DROP_REASON_TEXT[verdict]})` : `DROP ${verdict}`;
}

function formatInterval(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** UTC ISO 8601 with microseconds; "-" when the capture gave no time. */
export function formatTime(time: number | null): string {
  if (time === null || !Number.isFinite(time)) return '-';
  let seconds = Math.floor(time);
  let micros = Math.round((time - seconds) * 1e6);
  if (micros === 1e6) {
    seconds += 1;
    micros = 0;
  }
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, -5)}.${String(micros).padStart(6, '0')}Z`;
}
