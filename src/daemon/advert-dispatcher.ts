/**
 * The receive path of one VRRP socket (an interface and family): every packet is validated
 * (RFC 3768 §7.1 / RFC 5798 §7.1), counted when dropped, and handed to the instance it is for.
 * Network input never throws here.
 *
 * An instance is found by VRID; two unicast instances may share a VRID on one interface when
 * their peers differ (keepalived allows it), and then the advert's source picks the one whose
 * peer sent it. Addresses stay bytes from the socket to the instance; text only in logs.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { type DropReason, DROP_REASON_TEXT, newDropCounters } from '../vrrp/drop-reason.js';
import { addressesEqual, formatIp, parseIp } from '../vrrp/ip-address.js';
import { validateAdvert, type InstanceRules } from '../vrrp/validate.js';
import { instanceRules } from './instance-rules.js';
import type { InstanceRunner } from './instance-runner.js';
import type { Clock, Logger } from '../ports/index.js';

export interface PacketInfo {
  family: AddressFamily;
  /** IP source address bytes (4 or 16), as the socket read them. */
  source: Buffer;
  /** IP destination address bytes (the group or our address). */
  destination: Buffer;
  ttl: number;
  /** The kernel's receive time on the daemon's clock, when the socket reports it. */
  receivedAt?: number;
}

/** Drop logs are rate limited: one line per reason per this many ms. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** A runner with its receive rules (a reload that changes them replaces the runner). */
interface Served {
  runner: InstanceRunner;
  rules: InstanceRules;
}

export class AdvertDispatcher {
  /** Runners by VRID; more than one only for unicast instances with different peers. */
  private readonly byVrid = new Map<number, Served[]>();
  /** Drops that belong to no instance of ours (unknown VRID, unreadable packets). */
  readonly unmatchedDrops: Record<DropReason, number> = newDropCounters();
  private readonly lastDropLog = new Map<DropReason, number>();
  private readonly ownAddresses: Buffer[];

  constructor(
    ownAddresses: ReadonlySet<string>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.ownAddresses = [...ownAddresses].map((text) => parseIp(text).bytes);
  }

  add(runner: InstanceRunner): void {
    const served = this.byVrid.get(runner.config.vrid) ?? [];
    if (!served.some((s) => s.runner === runner)) served.push({ runner, rules: instanceRules(runner.config) });
    this.byVrid.set(runner.config.vrid, served);
  }

  remove(runner: InstanceRunner): void {
    const served = this.byVrid.get(runner.config.vrid);
    if (served === undefined) return;
    const rest = served.filter((s) => s.runner !== runner);
    if (rest.length === 0) this.byVrid.delete(runner.config.vrid);
    else this.byVrid.set(runner.config.vrid, rest);
  }

  /** Instances served. */
  get size(): number {
    let size = 0;
    for (const served of this.byVrid.values()) size += served.length;
    return size;
  }

  handle(payload: Buffer, info: PacketInfo): void {
    // Even unreadable packets name a VRID in their second byte: count them where they were aimed.
    const vrid = payload[1];
    const served = vrid === undefined ? undefined : this.servedFor(vrid, info.source);
    const verdict = validateAdvert(
      payload,
      { family: info.family, source: info.source, destination: info.destination, ttl: info.ttl, ownAddresses: this.ownAddresses },
      () => served?.rules,
    );
    if (verdict.ok) {
      served?.runner.receive(verdict.advert, info.source, info.receivedAt);
      return;
    }
    if (served) served.runner.countDrop(verdict.reason);
    else this.unmatchedDrops[verdict.reason]++;
    this.logDrop(verdict.reason, info, vrid);
  }

  /**
   * The instance an advert for `vrid` from `source` is for: the only one with that VRID, else the
   * one with `source` among its unicast peers, else the first (whose source check drops it;
   * config validation wants the check on for instances that share a VRID).
   */
  private servedFor(vrid: number, source: Uint8Array): Served | undefined {
    const served = this.byVrid.get(vrid);
    if (served === undefined || served.length === 1) return served?.[0];
    return served.find((s) => s.rules.unicastPeers?.some((p) => addressesEqual(p.address, source))) ?? served[0];
  }

  private logDrop(reason: DropReason, info: PacketInfo, vrid: number | undefined): void {
    const now = this.clock.now();
    const last = this.lastDropLog.get(reason);
    if (last !== undefined && now - last < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLog.set(reason, now);
    const source = info.source.length === (info.family === 4 ? 4 : 16) ? formatIp(info.source, 0, info.family) : '?';
    this.log.log('warn', `dropped advert: ${DROP_REASON_TEXT[reason]}`, { reason, source, vrid, ttl: info.ttl });
  }
}
