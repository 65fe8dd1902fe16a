/**
 * What a front end (keepalived.conf, YAML) hands to the shared validation: the values the file
 * set, each with where it was set, and nothing filled in. validateConfig() applies the defaults
 * and cross-checks, so both front ends obey exactly the same rules.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import type { CheckKind } from './check-model.js';
import type {
  CHECK_COMMON_FIELDS,
  EXEC_CHECK_FIELDS,
  FILE_CHECK_FIELDS,
  HTTP_CHECK_FIELDS,
  INTERFACE_CHECK_FIELDS,
  PROCESS_CHECK_FIELDS,
  TCP_CHECK_FIELDS,
} from './fields/check.js';
import type { DraftOf } from './fields/field.js';
import type { GLOBAL_ONLY_GARP_FIELDS, INSTANCE_GARP_FIELDS } from './fields/garp.js';
import type { INSTANCE_LOWER_PRIORITY_FIELDS } from './fields/lower-priority.js';
import type { GLOBAL_FIELDS } from './fields/global.js';
import type { INSTANCE_FIELDS } from './fields/instance.js';
import type { AddressScope, ConfigWarning, SourceLocation } from './model.js';
import type { InstanceNetworkDraft } from './instance-network.js';
import type { MailDraft } from './mail.js';
import type { PeerApiDraft } from './peer-api.js';
import type { WebhookDraft } from './webhooks.js';
import type { WebListenerDraft } from './web-listener.js';

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

/** GARP settings of an instance; the simple fields follow from the table (fields/garp.ts). */
export type GarpDraft = DraftOf<typeof INSTANCE_GARP_FIELDS>;

/** The global GARP settings: intervalMs applies to IPv4 instances (ARP), naIntervalMs to IPv6 ones. */
export type GlobalGarpDraft = GarpDraft & DraftOf<typeof GLOBAL_ONLY_GARP_FIELDS>;

/** A master hearing a lower priority (fields/lower-priority.ts). */
export type LowerPriorityDraft = DraftOf<typeof INSTANCE_LOWER_PRIORITY_FIELDS>;

/** The global settings; the simple fields follow from the table (fields/global.ts). */
export interface GlobalDraft extends DraftOf<typeof GLOBAL_FIELDS> {
  garp: GlobalGarpDraft;
  lowerPriority: LowerPriorityDraft;
  web?: WebListenerDraft;
  /** global.mail / keepalived's email keywords; created by the first one read. */
  mail?: MailDraft;
  webhooks?: WebhookDraft[];
  peerApi?: PeerApiDraft;
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

export interface UnicastPeerTtlDraft {
  peer: Located<string>;
  min?: Located<number>;
  max?: Located<number>;
}

/** One instance; the simple fields follow from the table (fields/instance.ts), the structures are here. */
export interface InstanceDraft extends DraftOf<typeof INSTANCE_FIELDS> {
  name: string;
  source: SourceLocation;
  vips: VipDraft[];
  unicastPeers: Located<string>[];
  /** Peers given a received TTL range (keepalived min_ttl / max_ttl). */
  unicastPeerTtl?: UnicastPeerTtlDraft[];
  trackInterfaces: TrackInterfaceDraft[];
  trackChecks: TrackCheckDraft[];
  notify: NotifyDraft;
  garp: GarpDraft;
  lowerPriority: LowerPriorityDraft;
  /** virtual_routes / virtual_rules, use_vmac, dont_track_primary, strict_mode (instance-network.ts). */
  network: InstanceNetworkDraft;
}

/** What every kind of check may set; the simple fields follow from the table (fields/check.ts). */
export interface CheckDraftCommon extends DraftOf<typeof CHECK_COMMON_FIELDS> {
  name: string;
  source: SourceLocation;
  /**
   * How the file names a setting it left out, for "has no ..." errors: YAML "checks.web.url",
   * keepalived "script". Takes the native key; without it the native key is used.
   */
  keyFor?: (nativeKey: string) => string;
}

export interface ExecCheckDraft extends CheckDraftCommon, DraftOf<typeof EXEC_CHECK_FIELDS> {
  kind: 'exec';
  command?: Located<string[]>;
}

export interface HttpCheckDraft extends CheckDraftCommon, DraftOf<typeof HTTP_CHECK_FIELDS> {
  kind: 'http';
  expectStatus?: Located<Array<[number, number]>>;
}

export interface TcpCheckDraft extends CheckDraftCommon, DraftOf<typeof TCP_CHECK_FIELDS> {
  kind: 'tcp';
}

/** At most one of processName, commandLine, pidFile. */
export interface ProcessCheckDraft extends CheckDraftCommon, DraftOf<typeof PROCESS_CHECK_FIELDS> {
  kind: 'process';
}

export interface FileCheckDraft extends CheckDraftCommon, DraftOf<typeof FILE_CHECK_FIELDS> {
  kind: 'file';
}

export interface InterfaceCheckDraft extends CheckDraftCommon, DraftOf<typeof INTERFACE_CHECK_FIELDS> {
  kind: 'interface';
}

export type CheckDraft = ExecCheckDraft | HttpCheckDraft | TcpCheckDraft | ProcessCheckDraft | FileCheckDraft | InterfaceCheckDraft;

export interface SyncGroupDraft {
  name: string;
  source: SourceLocation;
  instances: Located<string>[];
  notify: NotifyDraft;
  smtpAlert?: Located<boolean>;
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
    lowerPriority: {},
    network: { routes: [], rules: [] },
  };
}

export function emptyConfigDraft(): ConfigDraft {
  return { global: { garp: {}, lowerPriority: {} }, instances: [], checks: [], syncGroups: [], warnings: [] };
}
