/**
 * What a running VRRP instance needs from the outside world, declared by the consumer
 * (instance-runner.ts). The composition root (daemon.ts) passes real implementations; tests pass
 * fakes. Ports shared by every subsystem (Clock, Timers, Logger) are in src/ports/.
 */

/** Sends one encoded VRRP message to an IP destination; false when the kernel dropped it (ENOBUFS/EAGAIN). */
export interface AdvertSender {
  send(payload: Buffer, destination: string): boolean;
}

/** Puts an instance's VIPs on and off the interfaces. Must be idempotent; errors are logged inside. */
export interface VipHolder {
  take(): void;
  release(): void;
  /** Removes VIPs an earlier run of the daemon left on the interface (see vip-holder.ts). */
  releaseStale(): void;
}

/** Gratuitous ARP / unsolicited NA bursts while master (garp_master_delay / repeat / refresh). */
export interface Announcer {
  /** Becoming master: a burst now, another after the delay, refreshes if configured. */
  start(): void;
  /** One burst now (API "send GARP now"). */
  burst(): void;
  /** A lower-priority advert heard as master: garp_lower_prio_repeat now, again after garp_lower_prio_delay. */
  lowerPriorityHeard(): void;
  stop(): void;
  /** Frames sent so far. */
  readonly sent: number;
}
