/**
 * Names and addresses of a lab. Every namespace name carries the owning process id and the lab
 * id (`hs<pid>-<labId>-<role>`), so a later run can tell a dead process's leftovers from a live
 * lab and remove them. Interface names exist only inside the lab's own namespaces, which keeps
 * them short and fixed (the 15-character kernel limit is never near).
 */

/** The interface every host has towards the switch. */
export const HOST_INTERFACE = 'eth0';
/** The Linux bridge in the switch namespace. */
export const BRIDGE = 'br0';
/** The role name of the switch namespace; no host may use it. */
export const SWITCH_ROLE = 'switch';

/** A lab's directory under the temp dir: `hslab-<pid>-<labId>-…` (the pid lets a later run sweep it: stale-dirs.ts). */
export const LAB_DIR_PREFIX = 'hslab-';

/** Lab ids fit one octet of 10.99.<labId>.0/24; 0 and 255 stay unused. */
export const MIN_LAB_ID = 1;
export const MAX_LAB_ID = 254;

/** Hosts get .1 … .99; .100 and above are left for virtual addresses (vip4 / vip6). */
export const MAX_HOSTS = 99;
export const MAX_VIPS = 100;

const NAMESPACE_PATTERN = /^hs(\d+)-(\d+)-([a-z][a-z0-9]*)$/;
/** Short enough that 'h-' + name stays within the 15-character interface name limit. */
const HOST_NAME_PATTERN = /^[a-z][a-z0-9]{0,11}$/;

export interface NamespaceOwner {
  pid: number;
  labId: number;
  role: string;
}

export function namespaceName(pid: number, labId: number, role: string): string {
  return `hs${pid}-${labId}-${role}`;
}

/** The owner encoded in a lab namespace name, or undefined for any other namespace. */
export function parseNamespaceName(name: string): NamespaceOwner | undefined {
  const match = NAMESPACE_PATTERN.exec(name);
  if (!match) return undefined;
  return { pid: Number(match[1]), labId: Number(match[2]), role: match[3] as string };
}

export function validateHostNames(names: readonly string[]): void {
  if (!Array.isArray(names) || names.length === 0) throw new TypeError('A lab needs at least one host');
  if (names.length > MAX_HOSTS) throw new RangeError(`A lab has at most ${MAX_HOSTS} hosts, not ${names.length}`);
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || !HOST_NAME_PATTERN.test(name)) {
      throw new TypeError(`Host name '${String(name)}' must be a lowercase letter followed by up to 11 letters or digits`);
    }
    if (name === SWITCH_ROLE) throw new TypeError(`Host name '${name}' is reserved for the switch`);
    if (seen.has(name)) throw new TypeError(`Host name '${name}' is given twice`);
    seen.add(name);
  }
}

/** Switch-side names for one host's link (all inside the switch namespace). */
export function switchInterfaces(host: string): { hostPeer: string; relayPeer: string; bridgePort: string } {
  return { hostPeer: `h-${host}`, relayPeer: `r-${host}`, bridgePort: `p-${host}` };
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

export function hostIpv4(labId: number, index: number): string {
  return `10.99.${labId}.${index + 1}`;
}

export function hostIpv6(labId: number, index: number): string {
  return `fd00:99:${labId.toString(16)}::${(index + 1).toString(16)}`;
}

/** Locally administered, fixed per lab and host, so captures and ARP entries are predictable. */
export function hostMac(labId: number, index: number): string {
  return `02:68:73:${hex2(labId)}:00:${hex2(index + 1)}`;
}

function checkVipIndex(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= MAX_VIPS) {
    throw new RangeError(`Virtual address index ${n} is outside 0…${MAX_VIPS - 1}`);
  }
}

/** A free IPv4 address in the lab subnet for use as a virtual address: 10.99.<labId>.(100+n). */
export function vipIpv4(labId: number, n: number): string {
  checkVipIndex(n);
  return `10.99.${labId}.${100 + n}`;
}

/** A free IPv6 address in the lab subnet: fd00:99:<labId hex>::(0x100+n). */
export function vipIpv6(labId: number, n: number): string {
  checkVipIndex(n);
  return `fd00:99:${labId.toString(16)}::${(0x100 + n).toString(16)}`;
}
