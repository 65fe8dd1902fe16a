/**
 * The resource port (issue 11 §1): what the daemon needs from a role-following resource, and
 * what a resource kind (exec, systemd, mount, postgresql, directory, ...) gets from the daemon.
 *
 * A resource is something the master runs and the backups must not (or must run differently).
 * The policy core (group.ts) drives each driver from the VRRP state of the instance or sync
 * group it follows: start once, promote on MASTER, demote on BACKUP / FAULT / STOP (in reverse
 * order), stop at daemon stop or when removed; monitor every interval. Every operation runs
 * with a timeout: its signal is aborted then, and the core treats the operation as failed
 * whether or not the driver returns.
 *
 * Contracts every driver keeps:
 * - start, promote, demote and stop are idempotent: called again in the state they lead to,
 *   they succeed without doing harm (the core repeats them after a daemon restart, a reload, a
 *   failed operation).
 * - demote is fencing: once it resolves, this node no longer acts as the active copy (accepts
 *   no writes, serves nothing a client could take for the master). A demote that cannot
 *   guarantee this must reject; the core then stops the resource, then fences.
 * - An operation honours ctx.signal: it stops waiting and kills what it started when aborted.
 *   It may reject with any Error; the message is shown to the operator as the reason.
 * - monitor only reads; it never changes the role. It may be called in any role and
 *   concurrently with nothing else (the core never overlaps two operations on one resource).
 */
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';

/** The role the core drives a resource to (the VRRP state it follows, folded). */
export type ResourceRole = 'master' | 'backup' | 'fault' | 'stopped';

/** The operations, named as in config (timeouts), status, events and metrics. */
export type ResourceOperation = 'start' | 'promote' | 'demote' | 'stop' | 'monitor';

export interface OperationContext {
  /** Aborted at the operation's timeout or at daemon stop; signal.reason says which. */
  readonly signal: AbortSignal;
  /** Carries { resource, kind, operation }. */
  readonly log: Logger;
}

/**
 * Whether this node may become master with the data it holds. Not eligible = the node must not
 * be elected while a better one exists (the resource's `veto` setting: FAULT, or a negative
 * weight on the followed instances' priority).
 */
export type Eligibility =
  | { readonly eligible: true }
  | { readonly eligible: false; readonly reason: string }; // e.g. "not the synchronous standby",
                                                           // "timeline 3 behind 4", "initial copy 40 %"

export interface MonitorResult {
  readonly healthy: boolean;
  /** One line for status / events ("streaming from 10.0.0.1, 0 B behind"). */
  readonly detail?: string;
  /** Absent = eligible. */
  readonly eligibility?: Eligibility;
  /**
   * Numbers worth a graph, shown in status and the API and exported as
   * hotstandby_resource_gauge{resource, kind, gauge} (names: [a-z_][a-z0-9_]*, units in the
   * name: lag_seconds, lag_bytes, queue_depth).
   */
  readonly gauges?: Readonly<Record<string, number>>;
  /**
   * The service is certainly down on this node: its process is dead (or a zombie) or refuses
   * connections, so a client reaching this node gets an error at once (a TCP RST). Not for a
   * service that is hung, slow or in an unknown state. A master FAULT only for such failures keeps
   * its VIPs as a refuser until the peer is active (src/vrrp/kept-vips.ts).
   */
  readonly serviceDown?: boolean;
  /** The peer's copy is the active one now (PostgreSQL: the peer answers as primary). */
  readonly peerActive?: boolean;
}

export interface ResourceDriver {
  /** 'exec' | 'systemd' | 'mount' | 'postgresql' | 'directory' ... (the kind's name). */
  readonly kind: string;
  /** Come up in the standby shape (backup side). Called once before any promote. */
  start(ctx: OperationContext): Promise<void>;
  /** Become the active copy (MASTER). */
  promote(ctx: OperationContext): Promise<void>;
  /** Stop being the active copy (BACKUP / FAULT / STOP): fencing, see the contracts above. */
  demote(ctx: OperationContext): Promise<void>;
  /** Shut down entirely (daemon stop, resource removed, or after a failed demote). */
  stop(ctx: OperationContext): Promise<void>;
  monitor(ctx: OperationContext): Promise<MonitorResult>;
  /** Kind-specific status for status / the API / the dashboard (plain JSON values). */
  describe?(): Readonly<Record<string, unknown>>;
  /**
   * While this node holds the active copy: why no peer could take it over now (a planned
   * switchover is refused with it), from what the last monitor saw; undefined when a hand-over
   * looks possible or the kind cannot tell. Only reads, like monitor.
   */
  handoverBlocker?(): string | undefined;
  /** Releases what the driver holds (connections, watchers); called after stop, once. */
  close?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// What a kind gets from the daemon.

/** A virtual address of a followed instance, as a kind may need it (e.g. to bind to it). */
export interface ResourceVip {
  readonly instance: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly family: 4 | 6;
  readonly device: string;
}

/**
 * The narrow port a driver is built with. Functions, not values, where the answer can change
 * while the daemon runs (a reload, a new master).
 */
export interface ResourceHost {
  /** The resource's name (unique in the configuration). */
  readonly name: string;
  /** What it follows: an instance or a sync group, by name. */
  readonly follows: ResourceFollows;
  /** The followed instances' virtual addresses (those of every instance of a sync group). */
  vips(): readonly ResourceVip[];
  /** The followed instances' configured unicast peers (empty with multicast). */
  peers(): readonly string[];
  /**
   * The address the current master's adverts come from, as this node last heard them
   * (undefined while this node is master or has heard none): where a standby clones from.
   */
  masterAddress(): string | undefined;
  /**
   * Asks the core for a monitor round now instead of at the next interval: for a driver that
   * learns of a failure between rounds (a watched process died). The round judges as usual; this
   * only moves it earlier. Optional: hosts built by tests may leave it out.
   */
  monitorNow?(): void;
  /**
   * Whether this node still holds the followed instances' VIPs as a refuser after a FAULT for a
   * service certainly down (src/vrrp/kept-vips.ts): the service must not be started again
   * meanwhile (clients would reach it instead of being refused). Optional: tests may leave it out.
   */
  vipsKept?(): boolean;
  /** A directory of its own (created, mode 0700), under the daemon's runtime directory. */
  readonly stateDir: string;
  /** The global script_user / group (keepalived script_user), for kinds that run commands. */
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  /** keepalived enable_script_security: refuse (true) or only warn about unsafe programs. */
  readonly enforceScriptSecurity: boolean;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Carries { resource, kind }. */
  readonly log: Logger;
  /**
   * What the programs a kind starts run at: the priority the daemon was started with
   * (src/util/child-priority.ts). Optional: hosts built by tests may leave it out (unchanged).
   */
  readonly childPriority?: ChildPriority;
}

export type ResourceFollows = { readonly instance: string } | { readonly syncGroup: string };

// ---------------------------------------------------------------------------------------------
// What a kind gives the daemon: its config section's reader and its driver factory.

/**
 * A kind's own keys of one resource entry, read through the config front end. Every read
 * validates and throws a configuration error naming the file, line and key path
 * ("resources.db.dataDir: ..."); keys the kind does not declare in `fields` are refused before
 * parse is called.
 */
export interface ResourceSettings {
  /** The entry's path, e.g. "resources.db". */
  readonly path: string;
  has(key: string): boolean;
  string(key: string): string | undefined;
  requireString(key: string): string;
  integer(key: string, range: { min: number; max: number }): number | undefined;
  /** A duration ("5s", "200ms", or a number of milliseconds), in ms. */
  duration(key: string): number | undefined;
  boolean(key: string): boolean | undefined;
  /** A list of strings (a lone string is a one-element list). */
  stringList(key: string): string[] | undefined;
  /** A command: a list of words, or a string split like keepalived notify lines (no shell). */
  command(key: string): string[] | undefined;
  /** A nested mapping whose keys must be among `known`. */
  section(key: string, known: readonly string[]): ResourceSettings | undefined;
  /** The error to throw for a bad value of `key`, with its file, line and path. */
  error(key: string, message: string): Error;
}

/** One key of a kind's section, for the reader (unknown keys) and docs/config.md. */
export interface ResourceKindField {
  readonly key: string;
  /** What the value is: "string", "command", "duration", "integer 1..65535", ... */
  readonly type: string;
  readonly default?: string;
  readonly doc: string;
}

export interface ResourceKind<Settings = unknown> {
  /** The value of `kind:` in config. */
  readonly kind: string;
  /** One line for docs/config.md. */
  readonly doc: string;
  readonly fields: readonly ResourceKindField[];
  /** Defaults of common settings this kind changes (postgresql: vip after-promote). */
  readonly defaults?: { readonly vip?: VipOrder };
  /** Validates the kind's keys into its settings (plain, frozen data). Throws settings.error(...). */
  parse(settings: ResourceSettings): Settings;
  /**
   * Checks against the host that check-config and start-up make (a data directory exists, a
   * user is known); throws an Error naming the key.
   */
  check?(settings: Settings, host: ResourceHost): Promise<void>;
  /** Builds the driver. Does not start anything: the core calls start(). */
  create(settings: Settings, host: ResourceHost): ResourceDriver;
}

/** Whether the followed instances' VIPs go up before or after this resource is promoted. */
export type VipOrder = 'after-promote' | 'before-promote';
