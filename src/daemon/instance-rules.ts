/**
 * What the receive checks (src/vrrp/validate.ts) need to know about one configured instance:
 * built once per instance from its configuration, with the peers' addresses as bytes.
 */
import type { InstanceConfig } from '../config/model.js';
import { parseIp } from '../vrrp/ip-address.js';
import type { InstanceRules } from '../vrrp/validate.js';

/** keepalived's defaults for unicast_peer min_ttl / max_ttl: any TTL. */
const ANY_TTL = { min: 0, max: 255 } as const;

export function instanceRules(config: InstanceConfig): InstanceRules {
  return {
    version: config.version,
    ...(config.authPass !== undefined ? { authPass: config.authPass } : {}),
    advertIntervalMs: config.advertIntervalMs,
    v3ChecksumExcludesPseudoHeader: config.v3ChecksumExcludesPseudoHeader,
    unicastPeers: config.unicastPeers.map((peer) => {
      const range = config.unicastPeerTtl[peer] ?? ANY_TTL;
      return { address: parseIp(peer).bytes, minTtl: range.min, maxTtl: range.max };
    }),
    checkUnicastSource: config.checkUnicastSource,
  };
}
