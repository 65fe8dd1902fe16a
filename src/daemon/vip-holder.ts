/**
 * An instance's VIPs on the interfaces. Adds them when the instance becomes master and removes
 * them when it stops being master — but only the ones it added itself: an address that was
 * already configured by someone else is never removed. While master, a VIP deleted by hand is
 * put back (see restoreIfOurs).
 */
import type { AddressFamily } from '../vrrp/advert.js';
import type { VipConfig } from '../config/model.js';
import type { Logger } from '../ports/index.js';
import type { VipHolder } from './ports.js';

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
}

export interface ResolvedVip {
  config: VipConfig;
  ifindex: number;
}

export class AddressVipHolder implements VipHolder {
  private wanted = false;
  /** Addresses we added and must remove, by "ifindex address". */
  private readonly ours = new Set<string>();
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
    try {
      const result = await this.table.addAddress(this.specOf(vip));
      if (result === 'added') this.ours.add(keyOf(vip));
      else if (!this.ours.has(keyOf(vip))) {
        this.log.log('warn', 'VIP already present on the interface and not added by us; it will not be removed', {
          vip: vip.config.address,
        });
      }
    } catch (err) {
      this.log.log('error', 'cannot add VIP', { vip: vip.config.address, error: String(err) });
    }
  }

  private specOf(vip: ResolvedVip): VipAddressSpec {
    return this.specs.get(vip) ?? specOf(vip);
  }

  private async remove(vip: ResolvedVip): Promise<void> {
    if (this.wanted || !this.ours.has(keyOf(vip))) return;
    this.ours.delete(keyOf(vip));
    try {
      await this.table.deleteAddress(this.specOf(vip));
    } catch (err) {
      // Already gone (deleted by hand, interface removed) is fine: the goal is reached.
      if ((err as { code?: string }).code !== 'EADDRNOTAVAIL' && (err as { code?: string }).code !== 'ENODEV') {
        this.log.log('error', 'cannot remove VIP', { vip: vip.config.address, error: String(err) });
      }
    }
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
