/**
 * What a front end (keepalived.conf, YAML) hands to the shared validation: the values the file
 * set, each with where it was set, and nothing filled in. validateConfig() applies the defaults
 * and cross-checks, so both front ends obey exactly the same rules.
 */
import type { AddressFamily, VrrpVersion } from '../vrrp/advert.js';
import type { CheckKind } from './check-model.js';
import type { AddressScope, ConfigWarning, SourceLocation } from './model.js';

export interface Located<T> {
  value: T;
  source: SourceLocation;
  /** The setting as the file spells it ("virtual_router_id", "instances.web.vrid"), for errors. */
  key?: string;
}

export function located<T>(value: T, source: SourceLocation, key?: string): Located<T> {
  return key === undefined ? { value, source } : { value, source, key };
}

/** The key to name in an error about `field`: its own, else the model's name for it. */
export function keyOf(field: Located<unknown> | undefined, fallback: string): string {
  return field?.key ?? fallback;
}

export interface GarpDraft {
  masterDelayMs?: Located<number>;
  masterRepeat?: Located<number>;
  masterRefreshMs?: Located<number>;
  masterRefreshRepeat?: Located<number>;
  /** Gap between the packets of a burst; for an instance, whatever its family. */
  intervalMs?: Located<number>;
}

export interface GlobalGarpDraft extends GarpDraft {
  /** intervalMs applies to IPv4 instances (ARP); this one to IPv6 instances (neighbour adverts). */
  naIntervalMs?: Located<number>;
}

export interface LowerPriorityDraft {
  noAdvert?: Located<boolean>;
  garpRepeat?: Located<number>;
  garpDelayMs?: Located<number>;
}

export interface GlobalDraft {
  routerId?: Located<string>;
  /** VRRP version for instances that do not say (IPv6 instances are always version 3). */
  defaultVersion?: Located<VrrpVersion>;
  multicastGroup4?: Located<string>;
  multicastGroup6?: Located<string>;
  scriptUser?: Located<string>;
  scriptGroup?: Located<string>;
  enableScriptSecurity?: Located<boolean>;
  garp: GlobalGarpDraft;
  lowerPriority?: LowerPriorityDraft;
  notifyFifo?: Located<string>;
  notifyFifoScript?: Located<string>;
  startupDelayMs?: Located<number>;
}

export interface VipDraft {
  /** Canonical address (see address.ts). */
  address: string;
  family: AddressFamily;
  prefixLength?: number;
  device?: string;
  label?: string;
  scope?: AddressScope;
  broadcast?: string;
  excluded: boolean;
  source: SourceLocation;
}

export interface TrackInterfaceDraft {
  name: string;
  weight: number;
  source: SourceLocation;
  key?: string;
}

export interface TrackCheckDraft {
  name: string;
  weight?: number;
  source: SourceLocation;
  key?: string;
  /** The kind the reference must name (keepalived: track_script names a vrrp_script); any when unset. */
  kind?: CheckKind;
}

export interface NotifyDraft {
  master?: Located<string>;
  backup?: Located<string>;
  fault?: Located<string>;
  stop?: Located<string>;
  generic?: Located<string>;
  masterRxLowerPri?: Located<string>;
}

export interface InstanceDraft {
  name: string;
  source: SourceLocation;
  interface?: Located<string>;
  vrid?: Located<number>;
  priority?: Located<number>;
  version?: Located<VrrpVersion>;
  initialState?: Located<'MASTER' | 'BACKUP'>;
  advertIntervalMs?: Located<number>;
  preempt?: Located<boolean>;
  preemptDelayMs?: Located<number>;
  accept?: Located<boolean>;
  authPass?: Located<string>;
  vips: VipDraft[];
  unicastSourceAddress?: Located<string>;
  unicastPeers: Located<string>[];
  unicastTtl?: Located<number>;
  v3ChecksumExcludesPseudoHeader?: Located<boolean>;
  trackInterfaces: TrackInterfaceDraft[];
  trackChecks: TrackCheckDraft[];
  notify: NotifyDraft;
  garp: GarpDraft;
  lowerPriority?: LowerPriorityDraft;
}

/** What every kind of check may set. */
export interface CheckDraftCommon {
  name: string;
  source: SourceLocation;
  /**
   * How the file names a setting it left out, for "has no ..." errors: YAML "checks.web.url",
   * keepalived "script". Takes the native key; without it the native key is used.
   */
  keyFor?: (nativeKey: string) => string;
  intervalMs?: Located<number>;
  timeoutMs?: Located<number>;
  weight?: Located<number>;
  rise?: Located<number>;
  fall?: Located<number>;
  initFail?: Located<boolean>;
}

export interface ExecCheckDraft extends CheckDraftCommon {
  kind: 'exec';
  command?: Located<string[]>;
  user?: Located<string>;
  group?: Located<string>;
}

export interface HttpCheckDraft extends CheckDraftCommon {
  kind: 'http';
  url?: Located<string>;
  expectStatus?: Located<Array<[number, number]>>;
  bodyRegex?: Located<string>;
  tlsVerify?: Located<boolean>;
  hostHeader?: Located<string>;
}

export interface TcpCheckDraft extends CheckDraftCommon {
  kind: 'tcp';
  host?: Located<string>;
  port?: Located<number>;
}

export interface ProcessCheckDraft extends CheckDraftCommon {
  kind: 'process';
  /** Process name (/proc/PID/comm). At most one of processName, commandLine, pidFile. */
  processName?: Located<string>;
  commandLine?: Located<string>;
  pidFile?: Located<string>;
  quorum?: Located<number>;
}

export interface FileCheckDraft extends CheckDraftCommon {
  kind: 'file';
  path?: Located<string>;
}

export interface InterfaceCheckDraft extends CheckDraftCommon {
  kind: 'interface';
  interface?: Located<string>;
}

export type CheckDraft = ExecCheckDraft | HttpCheckDraft | TcpCheckDraft | ProcessCheckDraft | FileCheckDraft | InterfaceCheckDraft;

export interface SyncGroupDraft {
  name: string;
  source: SourceLocation;
  instances: Located<string>[];
  notify: NotifyDraft;
}

export interface ConfigDraft {
  global: GlobalDraft;
  instances: InstanceDraft[];
  checks: CheckDraft[];
  syncGroups: SyncGroupDraft[];
  /** What the front end already had to say (ignored keywords and the like). */
  warnings: ConfigWarning[];
}

export function emptyInstanceDraft(name: string, source: SourceLocation): InstanceDraft {
  return {
    name,
    source,
    vips: [],
    unicastPeers: [],
    trackInterfaces: [],
    trackChecks: [],
    notify: {},
    garp: {},
  };
}

export function emptyConfigDraft(): ConfigDraft {
  return { global: { garp: {} }, instances: [], checks: [], syncGroups: [], warnings: [] };
}
