/**
 * What changed on a lab host and when, from `ip -ts monitor` running inside it: addresses appearing
 * and going (whether a new master owned the VIP before it announced it, how long two nodes held
 * it at once) and the neighbour table (which MAC a client sends the VIP's traffic to).
 */
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';
import { canonicalIp } from '../vrrp/ip-address.js';

/** "[2026-11-23T22:57:03.582782] rest", local time, microseconds. */
const TIMESTAMP = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\]\s*(.*)$/;

/** Splits off `ip -ts`'s timestamp: epoch ms (local time, as `ip` prints it) and the rest of the line. */
export function parseMonitorTimestamp(line: string): { ms: number; rest: string } | undefined {
  const match = TIMESTAMP.exec(line);
  if (!match) return undefined;
  // No zone in the text: `ip` prints local time, and Date.parse reads a zoneless date-time as local.
  const seconds = Date.parse(match[1] as string);
  if (Number.isNaN(seconds)) return undefined;
  return { ms: seconds + Number(`0.${match[2] as string}`) * 1000, rest: match[3] as string };
}

/** "(Deleted )2: eth0    inet 10.99.7.100/24 …" after the timestamp. */
const ADDRESS_EVENT = /^(Deleted\s+)?\d+:\s+\S+\s+inet6?\s+([0-9a-fA-F.:]+)\//;

export interface AddressEvent {
  /** Epoch ms (the monitor's receipt of the kernel notification, microseconds). */
  ms: number;
  address: string;
  deleted: boolean;
}

/** Parses one line of `ip -ts monitor address`; undefined for continuation and other lines. */
export function parseAddressEvent(line: string): AddressEvent | undefined {
  const stamped = parseMonitorTimestamp(line);
  const match = stamped && ADDRESS_EVENT.exec(stamped.rest);
  if (!stamped || !match) return undefined;
  try {
    return { ms: stamped.ms, address: canonicalIp(match[2] as string), deleted: match[1] !== undefined };
  } catch {
    return undefined;
  }
}

/** "(Deleted )10.99.7.100 dev eth0 lladdr 02:68:73:07:00:01 REACHABLE" after the timestamp. */
const NEIGHBOUR_EVENT = /^(Deleted\s+)?(?:miss\s+)?([0-9a-fA-F.:]+)\s+dev\s+\S+(?:\s+lladdr\s+([0-9a-fA-F:]{17}))?.*?\s(\S+)\s*$/;

export interface NeighbourEvent {
  ms: number;
  address: string;
  /** The link-layer address now in the entry; undefined when it has none (INCOMPLETE, FAILED, deleted). */
  mac: string | undefined;
  state: string;
}

/** Parses one line of `ip -ts monitor neigh`; undefined for other lines. */
export function parseNeighbourEvent(line: string): NeighbourEvent | undefined {
  const stamped = parseMonitorTimestamp(line);
  const match = stamped && NEIGHBOUR_EVENT.exec(stamped.rest);
  if (!stamped || !match) return undefined;
  try {
    const deleted = match[1] !== undefined;
    return {
      ms: stamped.ms,
      address: canonicalIp(match[2] as string),
      mac: deleted ? undefined : match[3]?.toLowerCase(),
      state: deleted ? 'DELETED' : (match[4] as string),
    };
  } catch {
    return undefined;
  }
}

/** `ip -ts monitor <object>` in a host, its parsed events kept in memory as they come. */
class IpMonitor<T> {
  private readonly collected: T[] = [];

  protected constructor(
    private readonly process: LabProcess,
    parse: (line: string) => T | undefined,
  ) {
    process.onLine((line) => {
      const event = parse(line);
      if (event) this.collected.push(event);
    });
  }

  protected static spawn(lab: Lab, host: string, object: 'address' | 'neigh'): LabProcess {
    return lab.spawn(host, ['ip', '-ts', 'monitor', object], { name: `${object}-monitor-${host}` });
  }

  /** Every event so far, in order. */
  events(): readonly T[] {
    return this.collected;
  }

  async stop(): Promise<void> {
    await this.process.stop('SIGTERM', { timeoutMs: 2000 });
  }
}

/** `ip monitor` prints nothing once it listens: give it a moment. */
const SETTLE_MS = 200;

export class AddressMonitor extends IpMonitor<AddressEvent> {
  static async start(lab: Lab, host: string): Promise<AddressMonitor> {
    const monitor = new AddressMonitor(IpMonitor.spawn(lab, host, 'address'), parseAddressEvent);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return monitor;
  }

  /** The first time `address` was added after `after` (epoch ms), or undefined. */
  async addedAt(address: string, after: number): Promise<number | undefined> {
    const wanted = canonicalIp(address);
    return this.events().find((e) => !e.deleted && e.address === wanted && e.ms > after)?.ms;
  }
}

export class NeighbourMonitor extends IpMonitor<NeighbourEvent> {
  static async start(lab: Lab, host: string): Promise<NeighbourMonitor> {
    const monitor = new NeighbourMonitor(IpMonitor.spawn(lab, host, 'neigh'), parseNeighbourEvent);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return monitor;
  }
}
