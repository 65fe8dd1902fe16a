/**
 * The receive path of one VRRP socket (an interface and family): every packet is validated
 * (RFC 3768 §7.1 / RFC 5798 §7.1), counted when dropped, and handed to the instance of its VRID.
 * Network input never throws here.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { type DropReason, DROP_REASON_TEXT, newDropCounters } from '../vrrp/drop-reason.js';
import { parseIp } from '../vrrp/ip-address.js';
import { validateAdvert } from '../vrrp/validate.js';
import type { InstanceRunner } from './instance-runner.js';
import type { Clock, Logger } from '../ports/index.js';

export interface PacketInfo {
  family: AddressFamily;
  source: string;
  destination: string;
  ttl: number;
  /** The kernel's receive time on the daemon's clock, when the socket reports it. */
  receivedAt?: number;
}

/** Drop logs are rate limited: one line per reason per this many ms. */
const DROP_LOG_INTERVAL_MS = 10_000;

export class AdvertDispatcher {
  private readonly byVrid = new Map<number, InstanceRunner>();
  /** Drops that belong to no instance of ours (unknown VRID, unreadable packets). */
  readonly unmatchedDrops: Record<DropReason, number> = newDropCounters();
  private readonly lastDropLog = new Map<DropReason, number>();

  constructor(
    private readonly ownAddresses: ReadonlySet<string>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  add(runner: InstanceRunner): void {
    this.byVrid.set(runner.config.vrid, runner);
  }

  remove(runner: InstanceRunner): void {
    if (this.byVrid.get(runner.config.vrid) === runner) this.byVrid.delete(runner.config.vrid);
  }

  get size(): number {
    return this.byVrid.size;
  }

  handle(payload: Buffer, info: PacketInfo): void {
    const verdict = validateAdvert(
      payload,
      {
        family: info.family,
        source: info.source,
        destination: info.destination,
        ttl: info.ttl,
        // Multicast adverts must come with TTL 255; keepalived does not insist for unicast peers.
        requireTtl255: isMulticast(info.destination),
        ownAddresses: this.ownAddresses,
      },
      (vrid) => this.byVrid.get(vrid)?.rules,
    );
    if (verdict.ok) {
      const runner = this.byVrid.get(verdict.advert.vrid);
      runner?.receive(verdict.advert, { text: info.source, bytes: parseIp(info.source).bytes }, info.receivedAt);
      return;
    }
    // Even unreadable packets name a VRID in their second byte: count them where they were aimed.
    const vrid = verdict.advert?.vrid ?? payload[1];
    const runner = vrid === undefined ? undefined : this.byVrid.get(vrid);
    if (runner) runner.countDrop(verdict.reason);
    else this.unmatchedDrops[verdict.reason]++;
    this.logDrop(verdict.reason, info, vrid);
  }

  private logDrop(reason: DropReason, info: PacketInfo, vrid: number | undefined): void {
    const now = this.clock.now();
    const last = this.lastDropLog.get(reason);
    if (last !== undefined && now - last < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLog.set(reason, now);
    this.log.log('warn', `dropped advert: ${DROP_REASON_TEXT[reason]}`, { reason, source: info.source, vrid });
  }
}

function isMulticast(address: string): boolean {
  if (address.includes(':')) return address.toLowerCase().startsWith('ff');
  const first = Number(address.slice(0, address.indexOf('.')));
  return first >= 224 && first <= 239;
}
