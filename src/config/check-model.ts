/**
 * Health checks in the validated configuration: one kind per way of looking at a service.
 * Every kind shares the scheduling and hysteresis fields of CheckCommon. Durations are ms.
 */
import type { SourceLocation } from './model.js';

export interface CheckCommon {
  /** Unique among all checks; instances refer to checks by name. */
  name: string;
  intervalMs: number;
  /** How long one probe may take before it counts as failed (keepalived default: the interval). */
  timeoutMs: number;
  /**
   * 0: a failed check puts every tracking instance in FAULT. >0: added to priority while healthy.
   * <0: added to priority while failed (keepalived's vrrp_script rule). Range -254..254.
   */
  weight: number;
  /** Successes in a row that make a failed check healthy (keepalived rise, default 1). */
  rise: number;
  /** Failures in a row that make a healthy check fail (keepalived fall, default 1). */
  fall: number;
  /** Start in the failed state (keepalived init_fail). */
  initFail: boolean;
  source: SourceLocation;
}

export interface ExecCheckConfig extends CheckCommon {
  kind: 'exec';
  /** Program and arguments, already split (no shell). */
  command: string[];
  /**
   * Run as this user (keepalived `user`; validation fills in the global script_user when the
   * check has none); undefined = the daemon's default script user.
   */
  user?: string;
  /** With user: that group instead of the user's own (global script_user's group when filled in). */
  group?: string;
}

export interface HttpCheckConfig extends CheckCommon {
  kind: 'http';
  /** http:// or https:// URL. */
  url: string;
  /** Inclusive status ranges that count as healthy, e.g. [[200, 299]]. */
  expectStatus: Array<[number, number]>;
  /** JavaScript RegExp source the body must match, if set. */
  bodyRegex?: string;
  /** https only: verify the server certificate (default true). */
  tlsVerify: boolean;
  /** Host header override (e.g. a virtual host name while the URL names an address). */
  hostHeader?: string;
}

export interface TcpCheckConfig extends CheckCommon {
  kind: 'tcp';
  host: string;
  port: number;
}

export interface ProcessCheckConfig extends CheckCommon {
  kind: 'process';
  /**
   * What to look for, exactly one of (keepalived vrrp_track_process: process + param_match):
   * - name: the process name the kernel keeps (/proc/PID/comm, first 15 bytes), compared exactly;
   * - commandLine: the arguments (/proc/PID/cmdline) joined with single spaces, compared exactly;
   * - pidFile: the process whose pid the file's first line holds (then quorum is 1).
   */
  match: { name: string } | { commandLine: string } | { pidFile: string };
  /** How many matching processes are needed to be healthy (keepalived quorum, default 1). */
  quorum: number;
}

export interface FileCheckConfig extends CheckCommon {
  kind: 'file';
  /**
   * keepalived track_file: the file holds a number; number × weight is added to priority; with
   * weight 0 a non-zero number means FAULT. A missing or unreadable file counts as 0.
   */
  path: string;
}

export interface InterfaceCheckConfig extends CheckCommon {
  kind: 'interface';
  interface: string;
}

export type CheckConfig =
  | ExecCheckConfig
  | HttpCheckConfig
  | TcpCheckConfig
  | ProcessCheckConfig
  | FileCheckConfig
  | InterfaceCheckConfig;

export type CheckKind = CheckConfig['kind'];

export const CHECK_KINDS: readonly CheckKind[] = ['exec', 'http', 'tcp', 'process', 'file', 'interface'];

/** An instance's use of a check, with an optional weight that overrides the check's own. */
export interface TrackCheckRef {
  name: string;
  weight?: number;
}
