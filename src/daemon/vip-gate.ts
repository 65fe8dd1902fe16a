/**
 * The VIP gate of an instance (issue 11 §1, `vip: after-promote`): while closed, a MASTER keeps
 * advertising (so the peers do not take over too) but does not put its VIPs up nor announce
 * them; when the resources before the VIPs are promoted the gate opens and what the master
 * wanted happens then. Releasing is never held back. Kept per instance name across rebuilds
 * (a reload), open by default: an instance no resource gates behaves as before.
 */
import type { Announcer, VipHolder } from './ports.js';

type Holder = VipHolder & { settled(): Promise<void> };

/** One instance's gate around its VIP holder and announcer. */
export class VipGateway {
  private wantVips = false;
  private wantAnnounce = false;
  readonly vips: Holder;
  readonly announcer: Announcer;

  constructor(
    holder: Holder,
    announcer: Announcer,
    private allowed: boolean,
  ) {
    const gate = this;
    this.vips = {
      take() {
        gate.wantVips = true;
        if (gate.allowed) holder.take();
      },
      release() {
        gate.wantVips = false;
        holder.release();
      },
      releaseStale: () => holder.releaseStale(),
      settled: () => holder.settled(),
    };
    this.announcer = {
      start() {
        gate.wantAnnounce = true;
        if (gate.allowed) announcer.start();
      },
      burst() {
        if (gate.allowed) announcer.burst();
      },
      lowerPriorityHeard() {
        if (gate.allowed) announcer.lowerPriorityHeard();
      },
      stop() {
        gate.wantAnnounce = false;
        announcer.stop();
      },
      get sent() {
        return announcer.sent;
      },
    };
    this.open = () => {
      if (this.wantVips) holder.take();
      if (this.wantAnnounce) announcer.start();
    };
  }

  private readonly open: () => void;

  set(allowed: boolean): void {
    if (allowed === this.allowed) return;
    this.allowed = allowed;
    if (allowed) this.open();
  }

  settled(): Promise<void> {
    return this.vips.settled();
  }
}

/** The gates of all instances by name, and whether each is open, across rebuilds. */
export class VipGates {
  private readonly allowed = new Map<string, boolean>();
  private readonly gateways = new Map<string, VipGateway>();

  /** The gateway of a newly built instance, in the state its name's gate is in. */
  wrap(instance: string, holder: Holder, announcer: Announcer): VipGateway {
    const gateway = new VipGateway(holder, announcer, this.allowed.get(instance) ?? true);
    this.gateways.set(instance, gateway);
    return gateway;
  }

  set(instance: string, allowed: boolean): void {
    this.allowed.set(instance, allowed);
    this.gateways.get(instance)?.set(allowed);
  }

  settled(instance: string): Promise<void> {
    return this.gateways.get(instance)?.settled() ?? Promise.resolve();
  }
}
