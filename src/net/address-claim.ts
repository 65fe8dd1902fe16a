/**
 * A frame on the link that tells hosts "this address is at this MAC": an ARP packet's sender
 * (RFC 826) or an unsolicited neighbour advertisement's target (RFC 4861 §7.2.6). Hosts holding a
 * neighbour entry for the address take the MAC, so such frames move clients.
 */
export interface AddressClaim {
  /** Canonical text (dotted quad; RFC 5952 for IPv6). */
  address: string;
  /** Lower-case, colon-separated. */
  mac: string;
}

