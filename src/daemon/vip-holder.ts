/**
 * An instance's VIPs on the interfaces. Adds them when the instance becomes master and removes
 * them when it stops being master; a configured VIP found already on the interface is managed
 * like one it added (keepalived's behaviour: two nodes holding a VIP strand clients), while an
 * address no instance configures is never touched. While master, a VIP deleted by hand is put
 * back (see restoreIfOurs). What it added is recorded in a ledger that outlives the process
 * (vip-ledger.ts), so VIPs left behind by a killed daemon are removed by the next (releaseStale).
 */
import type { AddressFamily } from '../vrrp/advert.js';
import type { VipConfig } from '../config/model.js';
import type { Logger } from '../ports/index.js';
import { canonicalIp } from '../vrrp/ip-address.js';
import type { VipHolder } from './ports.js';
import { type AddedVips, MemoryVipLedger } from './vip-ledger.js';

export interface VipAddressSpec {
  ifindex: number;
  family: AddressFamily;
  address: string;
  prefixLength: number;
  label?: string;
  scope?: VipConfig['scope'];
  broadcast?: string;
  nodad?: boolean;
}

/** What the holder needs from the kernel's address table (rtnetlink in production). */
export interface AddressTable {
  /** 'exists' when the address was already there. */
  addAddress(spec: VipAddressSpec): Promise<'added' | 'exists'>;
  deleteAddress(spec: VipAddressSpec): Promise<void>;
  /** Builds the request for a spec ahead of its use (the spec object is never changed after). */
  prepareAddress?(spec: VipAddressSpec): unknown;
  /** The addresses now on one interface (an RTM_GETADDR dump); without it, stale VIPs are deleted blindly. */
  addresses?(filter: { index: number }): Promise<Array<{ address: string }>>;
}

export interface ResolvedVip {
  config: VipConfig;
  ifindex: number;
}

export class AddressVipHolder implements VipHolder {
  private wanted = false;
  /** Serialises kernel requests so an add and a remove never overtake each other. */
  private queue: Promise<void> = Promise.resolve();
  /** Steps queued or running; at 0 a new step starts at once. */
  private busy = 0;

  /** Each VIP's kernel request, built once (prepared ahead where the table can). */
  private readonly specs = new Map<ResolvedVip, VipAddressSpec>();

  constructor(
    private readonly vips: readonly ResolvedVip[],
    private readonly table: AddressTable,
    private readonly log: Logger,
    /** Addresses this daemon added and must remove, by "ifindex address" (also those of earlier runs). */
    private readonly ours: AddedVips = new MemoryVipLedger(),
  ) {
    for (const vip of vips) {
      const spec = Object.freeze(specOf(vip));
      this.specs.set(vip, spec);
      try {
        table.prepareAddress?.(spec);
      } catch {
        // A spec the kernel interface refuses fails again, and is logged, when it is added.
      }
    }
  }

  get held(): boolean {
    return this.wanted;
  }

  take(): void {
    this.wanted = true;
    this.enqueue(() => Promise.all(this.vips.map((vip) => this.add(vip))).then(() => undefined));
  }

  release(): void {
    this.wanted = false;
    this.enqueue(() => Promise.all(this.vips.map((vip) => this.remove(vip))).then(() => undefined));
  }

  /**
   * Removes the configured VIPs found on the interface while not master (keepalived's behaviour):
   * those an earlier run of this daemon added and left there (kill -9: the kernel keeps them), and
   * any other copy (added by hand, or left by keepalived before a migration), since a second node
   * answering ARP for a VIP strands its clients. Unless they are wanted again by then. Addresses
   * no instance configures are never touched.
   */
  releaseStale(): void {
    this.enqueue(async () => {
      if (this.wanted) return;
      const present = await this.presentAddresses();
      await Promise.all(
        this.vips.map(async (vip) => {
          const key = keyOf(vip);
          const found = present?.get(vip.ifindex)?.has(canonicalIp(vip.config.address));
          if (found === false) {
            this.ours.delete(key);
            return;
          }
          if (this.ours.has(key)) {
            if (found) this.log.log('warn', 'removing a VIP left on the interface by an earlier run', { vip: vip.config.address });
            return this.remove(vip);
          }
          // Found, but not recorded: another copy of a configured VIP. Without a listing
          // (found undefined) only recorded VIPs are removed.
          if (found) {
            this.log.log('warn', 'removing a configured VIP found on the interface while not master (not added by this daemon)', {
              vip: vip.config.address,
            });
            this.ours.add(key);
            return this.remove(vip);
          }
        }),
      );
    });
  }

  /** Addresses on each VIP interface, canonical text by ifindex; undefined when the table cannot list them. */
  private async presentAddresses(): Promise<Map<number, Set<string>> | undefined> {
    const table = this.table;
    if (table.addresses === undefined) return undefined;
    const present = new Map<number, Set<string>>();
    try {
      for (const ifindex of new Set(this.vips.map((v) => v.ifindex))) {
        present.set(ifindex, new Set((await table.addresses({ index: ifindex })).map((a) => canonicalIp(a.address))));
      }
    } catch (err) {
      this.log.log('warn', 'cannot list interface addresses; removing recorded VIPs blindly', { error: String(err) });
      return undefined;
    }
    return present;
  }

  /** Resolves when every request issued so far is done (shutdown waits for this). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** An address vanished from an interface: if it is one of ours and we are master, put it back. */
  restoreIfOurs(ifindex: number, address: string): void {
    if (!this.wanted) return;
    const vip = this.vips.find((v) => v.ifindex === ifindex && v.config.address === address);
    if (vip === undefined) return;
    this.log.log('warn', 'VIP was removed from the interface while master; restoring it', { vip: address });
    this.enqueue(() => this.add(vip));
  }

  /**
   * Runs `step` now when nothing is pending — rtnetlink sends within the call, so a new master's
   * VIPs are on the interface before its GARPs go out and clients follow them — else after the
   * steps before it.
   */
  private enqueue(step: () => Promise<void>): void {
    this.busy++;
    const run = this.busy === 1 ? step() : this.queue.then(step, step);
    this.queue = run.then(
      () => {
        this.busy--;
      },
      () => {
        this.busy--;
      },
    );
  }


  private async add(vip: ResolvedVip): Promise<void> {
    if (!this.wanted) return;
    const key = keyOf(vip);
    const recorded = this.ours.has(key);
    // Recorded before the request goes out, so a crash right after it still leaves the record.
    this.ours.add(key);
    try {
      const result = await this.table.addAddress(this.specOf(vip));
      if (result === 'exists' && !recorded) {
        // A configured VIP is the instance's to manage wherever it came from (keepalived): it
        // stays recorded, so it is removed when this node stops being master.
        this.log.log('warn', 'VIP already present on the interface; managed from now on (removed when no longer master)', {
          vip: vip.config.address,
        });
      }
    } catch (err) {
      if (!recorded) this.ours.delete(key);
      this.log.log('error', 'cannot add VIP', { vip: vip.config.address, error: String(err) });
    }
  }

  private specOf(vip: ResolvedVip): VipAddressSpec {
    return this.specs.get(vip) ?? specOf(vip);
  }

  private async remove(vip: ResolvedVip): Promise<void> {
    if (this.wanted || !this.ours.has(keyOf(vip))) return;
    try {
      await this.table.deleteAddress(this.specOf(vip));
    } catch (err) {
      // Already gone (deleted by hand, interface removed) is fine: the goal is reached.
      if ((err as { code?: string }).code !== 'EADDRNOTAVAIL' && (err as { code?: string }).code !== 'ENODEV') {
        this.log.log('error', 'cannot remove VIP', { vip: vip.config.address, error: String(err) });
      }
    }
    // Struck from the record once the request is done: a crash before that retries it next run.
    this.ours.delete(keyOf(vip));
  }
}

function keyOf(vip: ResolvedVip): string {
  return `${vip.ifindex} ${vip.config.address}`;
}

function specOf(vip: ResolvedVip): VipAddressSpec {
  const { config } = vip;
  return {
    ifindex: vip.ifindex,
    family: config.family,
    address: config.address,
    prefixLength: config.prefixLength,
    ...(config.label !== undefined ? { label: config.label } : {}),
    scope: config.scope,
    ...(config.broadcast !== undefined ? { broadcast: config.broadcast } : {}),
    // A VIP must answer at once after takeover: no duplicate address detection (keepalived does the same).
    ...(config.family === 6 ? { nodad: true } : {}),
  };
}
