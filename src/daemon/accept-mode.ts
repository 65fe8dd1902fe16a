/**
 * Accept_Mode off (keepalived's no_accept, and vrrp_strict's default below priority 255):
 * RFC 5798 §6.1 says a master that is not the address owner does not accept packets addressed to
 * the VIPs. As keepalived 2.2.7 does, an nf_tables rule drops them while the instance is master:
 * set before its VIPs go on, removed when it leaves master. One table per family ("hotstandby"),
 * rewritten as a whole on every change; a table left by a crashed run is removed at start.
 */
import type { InstanceConfig } from '../config/model.js';
import { OWNER_PRIORITY } from '../config/defaults.js';
import type { AddressFamily } from '../vrrp/advert.js';
import type { Logger } from '../ports/index.js';

/** What the firewall needs from nf_tables (src/net/netlink/nftables-client.ts in production). */
export interface DropTable {
  block(family: AddressFamily, addresses: readonly string[]): Promise<void>;
  removeTable(family: AddressFamily): Promise<void>;
  close(): void;
}

/** An instance's part: take() before its VIPs go on, release() when it leaves master. */
export interface AcceptBlocker {
  take(): void;
  release(): void;
  settled(): Promise<void>;
}

const FAMILIES: readonly AddressFamily[] = [4, 6];

export function dropsTraffic(instance: InstanceConfig): boolean {
  return !instance.accept && instance.priority !== OWNER_PRIORITY;
}

export class AcceptModeFirewall {
  private table: DropTable | undefined;
  private readonly blocked = new Map<string, readonly string[]>();
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly open: () => DropTable,
    private readonly log: Logger,
  ) {}

  /**
   * At start: when an instance drops traffic, opens nf_tables and removes what a crashed run
   * left. Rejects (and the daemon refuses to start) when the kernel cannot do it: running without
   * the drop the file asks for would be weaker than the file says.
   */
  async prepare(instances: readonly InstanceConfig[]): Promise<void> {
    if (!instances.some(dropsTraffic)) return;
    const table = this.tableNow();
    for (const family of FAMILIES) await table.removeTable(family);
  }

  /** The instance's blocker, or undefined when it accepts traffic to its VIPs. */
  blockerFor(instance: InstanceConfig): AcceptBlocker | undefined {
    if (!dropsTraffic(instance)) return undefined;
    const addresses = instance.vips.map((v) => ({ address: v.address, family: v.family }));
    const families = [...new Set(addresses.map((a) => a.family))];
    const update = (wanted: boolean): void => {
      if (wanted) this.blocked.set(instance.name, addresses.map((a) => `${a.family} ${a.address}`));
      else this.blocked.delete(instance.name);
      for (const family of families) this.push(family);
    };
    return { take: () => update(true), release: () => update(false), settled: () => this.last };
  }

  async close(): Promise<void> {
    if (!this.table) return;
    const table = this.table;
    await this.last;
    for (const family of FAMILIES) await table.removeTable(family).catch((err: unknown) => this.log.log('warn', 'cannot remove the nftables table', { error: String(err) }));
    table.close();
    this.table = undefined;
  }

  private tableNow(): DropTable {
    this.table ??= this.open();
    return this.table;
  }

  private push(family: AddressFamily): void {
    const addresses = [...new Set([...this.blocked.values()].flat().filter((a) => a.startsWith(`${family} `)).map((a) => a.slice(2)))];
    const request = this.tableNow()
      .block(family, addresses)
      .catch((err: unknown) => this.log.log('error', 'cannot set the nftables rule dropping traffic to the VIPs (no_accept)', { family, addresses, error: String(err) }));
    this.last = request;
  }
}
