/**
 * Loss and delay for one direction of a relayed link: the decisions (seeded, so a run can be
 * repeated) and the delay line that releases frames at their time, in their order.
 */

export interface Impairment {
  /** Probability in percent (0…100) that a frame is dropped. */
  lossPercent?: number;
  /** Added one-way delay in ms. */
  delayMs?: number;
  /** Each frame's delay varies uniformly within delayMs ± jitterMs (never below zero). */
  jitterMs?: number;
  /**
   * Let frames overtake each other: each leaves at its own drawn time, so jitter reorders them
   * (as netem's delay with jitter does). Default false: frames keep their order, as on a cable.
   */
  reorder?: boolean;
  /**
   * IP protocol numbers (the IPv4 protocol, the IPv6 next header) whose frames are always dropped,
   * e.g. [112]: a firewall between the hosts that blocks VRRP and lets ARP and the rest through.
   */
  dropProtocols?: readonly number[];
}

export type ImpairmentSettings = Required<Impairment>;

export const NO_IMPAIRMENT: ImpairmentSettings = Object.freeze({ lossPercent: 0, delayMs: 0, jitterMs: 0, reorder: false, dropProtocols: Object.freeze([]) });

function finiteInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${name} must be a number, not '${String(value)}'`);
  if (value < min || value > max) throw new RangeError(`${name} ${value} is outside ${min}…${max}`);
  return value;
}

function booleanOrFalse(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false, not '${String(value)}'`);
  return value;
}

export function validateImpairment(impairment: Impairment): ImpairmentSettings {
  if (typeof impairment !== 'object' || impairment === null) throw new TypeError('An impairment must be an object');
  return {
    lossPercent: finiteInRange('lossPercent', impairment.lossPercent ?? 0, 0, 100),
    delayMs: finiteInRange('delayMs', impairment.delayMs ?? 0, 0, 60_000),
    jitterMs: finiteInRange('jitterMs', impairment.jitterMs ?? 0, 0, 60_000),
    reorder: booleanOrFalse('reorder', impairment.reorder),
    dropProtocols: protocolList(impairment.dropProtocols),
  };
}

function protocolList(value: unknown): readonly number[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`dropProtocols must be an array of IP protocol numbers, not '${String(value)}'`);
  for (const protocol of value) {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new RangeError(`dropProtocols: '${String(protocol)}' is not an IP protocol number (0…255)`);
  }
  return [...(value as number[])];
}

/** The IP protocol an Ethernet frame carries (IPv4 protocol / IPv6 first next header), or undefined. */
export function ipProtocolOf(frame: Buffer): number | undefined {
  if (frame.length < 14) return undefined;
  const ethertype = frame.readUInt16BE(12);
  if (ethertype === 0x0800 && frame.length >= 24) return frame[23];
  if (ethertype === 0x86dd && frame.length >= 21) return frame[20];
  return undefined;
}

/** A small seeded generator (mulberry32): uniform floats in [0, 1), the same sequence for a seed. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export interface DirectionStats {
  received: number;
  dropped: number;
  forwarded: number;
  /** Frames the kernel refused to send (interface down, buffer full). */
  sendErrors: number;
}

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface QueuedFrame {
  frame: Buffer;
  departure: number;
}

/**
 * One direction of the relay. Frames keep their order (a departure is never before the previous
 * one), as on a real cable; jitter therefore stretches bursts rather than reordering them —
 * unless `reorder` is set, when each frame leaves at its own drawn time.
 */
export class ImpairedDirection {
  readonly stats: DirectionStats = { received: 0, dropped: 0, forwarded: 0, sendErrors: 0 };
  private settings: ImpairmentSettings = NO_IMPAIRMENT;
  private readonly queue: QueuedFrame[] = [];
  private lastDeparture = 0;
  private timer: unknown;

  constructor(
    private readonly random: SeededRandom,
    private readonly send: (frame: Buffer) => boolean,
    private readonly clock: Clock,
  ) {}

  configure(impairment: Impairment): void {
    this.settings = validateImpairment(impairment);
  }

  get current(): ImpairmentSettings {
    return this.settings;
  }

  /** Takes a frame that just arrived: drops it, sends it, or queues it for later. */
  offer(frame: Buffer): void {
    this.stats.received++;
    const { lossPercent, delayMs, jitterMs, reorder, dropProtocols } = this.settings;
    if (dropProtocols.length > 0 && dropProtocols.includes(ipProtocolOf(frame) ?? -1)) {
      this.stats.dropped++;
      return;
    }
    if (lossPercent > 0 && this.random.next() * 100 < lossPercent) {
      this.stats.dropped++;
      return;
    }
    const now = this.clock.now();
    const spread = jitterMs > 0 ? (this.random.next() * 2 - 1) * jitterMs : 0;
    const drawn = now + Math.max(0, delayMs + spread);
    const departure = reorder ? drawn : Math.max(drawn, this.lastDeparture);
    this.lastDeparture = Math.max(departure, this.lastDeparture);
    if (departure <= now && this.queue.length === 0) {
      this.transmit(frame);
      return;
    }
    // The queue stays sorted by departure; without reorder every frame goes to the end.
    let index = this.queue.length;
    while (index > 0 && (this.queue[index - 1] as QueuedFrame).departure > departure) index--;
    this.queue.splice(index, 0, { frame, departure });
    if (index === 0) this.rearm();
  }

  /** Stops the timer; queued frames are discarded. */
  close(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  /** The head changed: its timer replaces any armed for the old head. */
  private rearm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) return;
    this.timer = this.clock.setTimeout(() => this.release(), Math.max(0, head.departure - this.clock.now()));
  }

  private release(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.queue.length > 0 && (this.queue[0] as QueuedFrame).departure <= now + 0.5) {
      this.transmit((this.queue.shift() as QueuedFrame).frame);
    }
    this.arm();
  }

  private transmit(frame: Buffer): void {
    if (this.send(frame)) this.stats.forwarded++;
    else this.stats.sendErrors++;
  }
}
