/**
 * When an address appeared on a lab host, from `ip -ts monitor address` running inside it: how
 * the benchmark sees whether a new master owned the VIP before it announced it (a client that
 * follows the announcement to a host without the address loses its packets).
 */
import type { Lab, LabProcess } from '../../src/lab/index.js';
import { canonicalIp } from '../../src/vrrp/ip-address.js';
import { sleep } from './sleep.js';

/** "[2026-11-23T22:57:03.582782] 2: eth0    inet 10.99.7.100/24 …", local time, microseconds. */
const EVENT_LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d+)\]\s+(Deleted\s+)?\d+:\s+\S+\s+inet6?\s+([0-9a-fA-F.:]+)\//;

export interface AddressEvent {
  /** Epoch ms (the monitor's receipt of the kernel notification, microseconds). */
  ms: number;
  address: string;
  deleted: boolean;
}

/** Parses one line of `ip -ts monitor address`; undefined for continuation and other lines. */
export function parseAddressEvent(line: string): AddressEvent | undefined {
  const match = EVENT_LINE.exec(line);
  if (!match) return undefined;
  // No zone in the text: `ip` prints local time, and Date.parse reads a zoneless date-time as local.
  const seconds = Date.parse(match[1] as string);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = Number(`0.${match[2] as string}`) * 1000;
  try {
    return { ms: seconds + fraction, address: canonicalIp(match[4] as string), deleted: match[3] !== undefined };
  } catch {
    return undefined;
  }
}

export class AddressMonitor {
  private constructor(private readonly process: LabProcess) {}

  /** Starts the monitor in `host`; `ip monitor` prints nothing when ready, so give it a moment. */
  static async start(lab: Lab, host: string): Promise<AddressMonitor> {
    const monitor = new AddressMonitor(lab.spawn(host, ['ip', '-ts', 'monitor', 'address'], { name: `address-monitor-${host}` }));
    await sleep(200);
    return monitor;
  }

  async events(): Promise<AddressEvent[]> {
    const events: AddressEvent[] = [];
    for (const line of (await this.process.readLog()).split('\n')) {
      const event = parseAddressEvent(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** The first time `address` was added after `after` (epoch ms), or undefined. */
  async addedAt(address: string, after: number): Promise<number | undefined> {
    const wanted = canonicalIp(address);
    return (await this.events()).find((e) => !e.deleted && e.address === wanted && e.ms > after)?.ms;
  }

  async stop(): Promise<void> {
    await this.process.stop('SIGTERM', { timeoutMs: 2000 });
  }
}
