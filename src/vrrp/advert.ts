/**
 * The VRRP advertisement as it is on the wire, one shape for both versions.
 * RFC 3768 §5.1 (v2) and RFC 5798 §5.1 (v3).
 */

export type VrrpVersion = 2 | 3;
export type AddressFamily = 4 | 6;

/** RFC 3768 §5.3.2 / RFC 5798 §5.2.2: the only defined type. */
export const ADVERTISEMENT_TYPE = 1;

/** IANA: IP protocol number of VRRP (RFC 3768 §5.2.4, RFC 5798 §5.1.1.4). */
export const VRRP_PROTOCOL = 112;

/** RFC 3768 §5.2.3 / RFC 5798 §5.1.1.3: adverts are sent and accepted with TTL / hop limit 255. */
export const VRRP_TTL = 255;

export const VRRP_MULTICAST_V4 = '224.0.0.18';
export const VRRP_MULTICAST_V6 = 'ff02::12';

/** RFC 3768 §5.3.6: authentication types. keepalived 2.2.7 still speaks simple text (1). */
export const AUTH_NONE = 0;
export const AUTH_SIMPLE_TEXT = 1;
/** RFC 3768 §5.3.6.1 and keepalived: the simple text password occupies exactly 8 bytes. */
export const AUTH_DATA_LENGTH = 8;

export interface Advert {
  version: VrrpVersion;
  /** 1 = advertisement; anything else is kept so validation can name it. */
  type: number;
  vrid: number;
  priority: number;
  /** "Count IP Addrs" as on the wire (validation compares it with the length). */
  count: number;
  /** v2 only (RFC 3768 §5.3.6); 0 for v3, where the byte is part of the interval field. */
  authType: number;
  /**
   * The interval field as on the wire: v2 seconds (8 bits, RFC 3768 §5.3.7),
   * v3 centiseconds (12 bits, RFC 5798 §5.2.5). Use intervalMs() for milliseconds.
   */
  interval: number;
  /** The checksum field as on the wire. */
  checksum: number;
  /** IPv4 dotted quads or IPv6 in RFC 5952 form. */
  addresses: string[];
  /** v2: the 8 authentication bytes; v3: empty. */
  authData: Buffer;
  /** Family of the addresses (from the IP header the advert came in). */
  family: AddressFamily;
}

/** The advertisement interval in milliseconds, whatever the version's unit. */
export function intervalMs(advert: Pick<Advert, 'version' | 'interval'>): number {
  return advert.version === 2 ? advert.interval * 1000 : advert.interval * 10;
}
