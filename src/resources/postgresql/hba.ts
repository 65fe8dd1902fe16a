/**
 * Does pg_hba.conf let the peer stream? pg_hba.conf is read top to bottom and the first line that
 * matches the connection decides (PostgreSQL docs 21.1); rows as the pg_hba_file_rules view shows
 * them. Pure: the check runs on rows the server returned.
 */
import { BlockList, isIP } from 'node:net';

export interface HbaRule {
  readonly lineNumber: number;
  readonly type: string; // local | host | hostssl | hostnossl | hostgssenc | hostnogssenc
  readonly database: readonly string[];
  readonly userName: readonly string[];
  readonly address: string | null;
  readonly netmask: string | null;
  readonly authMethod: string;
}

export type HbaVerdict = { readonly allowed: true; readonly line: number } | { readonly allowed: false; readonly why: string };

/** The first rule matching a TCP replication connection of `user` from `peer`. */
export function replicationAllowed(rules: readonly HbaRule[], user: string, peer: string): HbaVerdict {
  for (const rule of rules) {
    if (!rule.type.startsWith('host')) continue;
    if (!rule.database.includes('replication')) continue;
    if (!rule.userName.includes('all') && !rule.userName.includes(user)) continue;
    if (!addressMatches(rule, peer)) continue;
    if (rule.authMethod === 'reject') return { allowed: false, why: `pg_hba.conf line ${rule.lineNumber} rejects it` };
    return { allowed: true, line: rule.lineNumber };
  }
  return { allowed: false, why: 'no pg_hba.conf line matches it' };
}

function addressMatches(rule: HbaRule, peer: string): boolean {
  const address = rule.address;
  if (address === null || address === 'all') return true;
  if (address === 'samehost' || address === 'samenet') return false; // cannot judge from here: say so by not matching
  const family = isIP(peer) as 0 | 4 | 6;
  if (family === 0 || isIP(address) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(address, maskLength(rule.netmask, family), type);
  return list.check(peer, type);
}

/** "255.255.255.0" or "ffff:ffff::" as a prefix length; a missing mask is a host address. */
function maskLength(netmask: string | null, family: 4 | 6): number {
  if (netmask === null) return family === 4 ? 32 : 128;
  if (family === 4) return netmask.split('.').reduce((bits, octet) => bits + popcount(Number(octet)), 0);
  const groups = expandIpv6(netmask);
  return groups.reduce((bits, group) => bits + popcount(group), 0);
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v >>>= 1) count += v & 1;
  return count;
}

function expandIpv6(text: string): number[] {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':').map((g) => parseInt(g, 16));
  const t = tail === undefined || tail === '' ? [] : tail.split(':').map((g) => parseInt(g, 16));
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}
