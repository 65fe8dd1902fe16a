/**
 * The receive side of unicast mode: which sources an instance accepts adverts from, and with what
 * TTL (keepalived 2.2.7 check_unicast_src, unicast_peer min_ttl / max_ttl).
 *
 * hotstandby checks the source by default, where keepalived needs the keyword: a unicast instance
 * has waived RFC 5798 §7.1's TTL 255 rule (its adverts may be routed), so without the check any
 * host that can reach it could send it adverts.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { isLinkLocalIpv6 } from '../vrrp/ip-address.js';
import { parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import { keyOf, type InstanceDraft } from './draft.js';
import type { TtlRange } from './model.js';
import { INSTANCE_FIELDS } from './fields/instance.js';
import { fieldValue } from './resolve-field.js';
import { checkInteger, type WarningList } from './validate-values.js';

export interface UnicastChecks {
  checkUnicastSource: boolean;
  unicastPeerTtl: Record<string, TtlRange>;
}

/** What resolveUnicast made of the instance's addresses (canonical text). */
export interface ResolvedUnicast {
  family: AddressFamily;
  peers: readonly string[];
  source?: string;
}

export function resolveUnicastChecks(draft: InstanceDraft, unicast: ResolvedUnicast, warnings: WarningList): UnicastChecks {
  const { peers } = unicast;
  const checkUnicastSource = fieldValue(INSTANCE_FIELDS, 'checkUnicastSource', draft);
  const firstPeer = draft.unicastPeers[0];
  if (checkUnicastSource && unicast.family === 6 && unicast.source === undefined && firstPeer && peers.some((p) => !isLinkLocalIpv6(p))) {
    // RFC 5798 §5.1.2.1: IPv6 adverts leave from the link-local address, unless a source is set.
    warnings.add(
      `IPv6 unicast peers of instance "${draft.name}" send from their link-local address unless they set a source ` +
        `address: list the address each peer sends from, or its adverts are dropped as not from a peer (unicast source check)`,
      firstPeer.source,
    );
  }
  const unicastPeerTtl: Record<string, TtlRange> = {};
  for (const entry of draft.unicastPeerTtl ?? []) {
    const address = parseIpAddress(entry.peer.value)?.address;
    if (address === undefined || !peers.includes(address)) continue; // the peer list reports it
    const min = entry.min ? checkInteger(entry.min, 0, 255, 'min_ttl', 'min_ttl') : 0;
    const max = entry.max ? checkInteger(entry.max, 0, 255, 'max_ttl', 'max_ttl') : 255;
    const where = entry.min ?? entry.max ?? entry.peer;
    if (min > max) {
      throw new ConfigError(`min_ttl ${min} is above max_ttl ${max} for unicast peer ${address}: no advert could pass`, where.source, keyOf(where, 'min_ttl'));
    }
    if (!checkUnicastSource) {
      // The range belongs to the peer an advert came from: without the source check there is none.
      throw new ConfigError(
        `min_ttl/max_ttl of unicast peer ${address} need the unicast source check, which instance "${draft.name}" turns off`,
        where.source,
        keyOf(where, 'min_ttl'),
      );
    }
    unicastPeerTtl[address] = { min, max };
  }
  return { checkUnicastSource, unicastPeerTtl };
}
