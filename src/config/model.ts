/**
 * The validated configuration every front end (native YAML, keepalived.conf) produces and the
 * daemon consumes. Durations are milliseconds; addresses are strings in canonical form.
 * Objects are frozen after validation (see freezeConfig).
 */
import type { AddressFamily, VrrpVersion } from '../vrrp/advert.js';
import type { CheckConfig, TrackCheckRef } from './check-model.js';
import type { InstanceNetworkConfig } from './instance-network.js';
import type { MailConfig } from './mail.js';
import type { PeerApiConfig } from './peer-api.js';
import type { WebhookConfig } from './webhooks.js';
import type { ResourceConfig } from './resource-model.js';
import type { WebListenerConfig } from './web-listener.js';
import type { BackupsConfig } from './backups.js';

export type { CheckConfig, TrackCheckRef } from './check-model.js';
export type { ResourceConfig } from './resource-model.js';

/** Where a value came from, so errors and warnings can name file and line. */
export interface SourceLocation {
  file: string;
  line: number;
}

export type AddressScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

export interface VipConfig {
  address: string;
  family: AddressFamily;
  /** Defaults: 32 for IPv4, 128 for IPv6 (as keepalived). */
  prefixLength: number;
  /** Interface the address goes on; defaults to the instance's interface. */
  device: string;
  label?: string;
  scope: AddressScope;
  broadcast?: string;
  /** keepalived's virtual_ipaddress_excluded: managed, but not listed in adverts. */
  excluded: boolean;
  source: SourceLocation;
}

export interface GarpConfig {
  /** Second burst after becoming master (keepalived garp_master_delay, default 5 s; 0 = none). */
  masterDelayMs: number;
  /** Packets per burst (garp_master_repeat, default 5). */
  masterRepeat: number;
  /** Periodic refresh while master (garp_master_refresh, default 0 = off). */
  masterRefreshMs: number;
  /** Packets per refresh (garp_master_refresh_repeat, default 1). */
  masterRefreshRepeat: number;
  /** Gap between packets of one burst (vrrp_garp_interval / vrrp_gna_interval, default 0). */
  intervalMs: number;
}

/** A master hearing a lower-priority advert (keepalived lower_prio_no_advert, garp_lower_prio_*). */
export interface LowerPriorityConfig {
  /** lower_prio_no_advert: discard it without answering (RFC 5798 §6.4.3); default off (answer, keepalived). */
  noAdvert: boolean;
  /** garp_lower_prio_repeat: GARPs / NAs per VIP sent at once (0 = none); default vrrp_garp_master_repeat. */
  garpRepeat: number;
  /** garp_lower_prio_delay: a second burst after this long (0 = none); default vrrp_garp_master_delay. */
  garpDelayMs: number;
}

export interface TrackInterfaceConfig {
  name: string;
  /** 0 = the instance goes to FAULT when the interface is down; otherwise added to priority. */
  weight: number;
}

export interface NotifyConfig {
  master?: string;
  backup?: string;
  fault?: string;
  stop?: string;
  /** keepalived's `notify`: called with TYPE NAME STATE PRIORITY. */
  generic?: string;
  /** keepalived notify_master_rx_lower_pri (instances only): run when a master hears a lower priority. */
  masterRxLowerPri?: string;
}

/** Accepted TTL / hop limits, inclusive. */
export interface TtlRange {
  min: number;
  max: number;
}

export interface InstanceConfig extends InstanceNetworkConfig {
  name: string;
  interface: string;
  vrid: number;
  version: VrrpVersion;
  /** Family of the adverts: that of the non-excluded VIPs (keepalived's rule). */
  family: AddressFamily;
  /** 1..255; 255 means address owner. */
  priority: number;
  /** keepalived `state MASTER|BACKUP`: a startup hint only (RFC 5798 §6.4.1 starts in Backup unless owner). */
  initialState: 'MASTER' | 'BACKUP';
  advertIntervalMs: number;
  preempt: boolean;
  preemptDelayMs: number;
  /** RFC 5798 §6.1 Accept_Mode. */
  accept: boolean;
  /** v2 simple text password (first 8 characters are used, as keepalived). */
  authPass?: string;
  vips: VipConfig[];
  /** Unicast mode (keepalived unicast_src_ip / unicast_peer); empty = multicast. */
  unicastSourceAddress?: string;
  unicastPeers: string[];
  /** TTL for unicast adverts (keepalived unicast_ttl, default 255). */
  unicastTtl: number;
  /**
   * Unicast adverts accepted only from the peers (keepalived check_unicast_src /
   * vrrp_check_unicast_src). hotstandby's default is true; YAML `unicast.checkSource: false` opts out.
   */
  checkUnicastSource: boolean;
  /** keepalived `unicast_peer { ADDR min_ttl N max_ttl N }`: received TTL range by peer; others take any. */
  unicastPeerTtl: Record<string, TtlRange>;
  /** v3 IPv4 checksum computed without the pseudo-header (RFC 9568 §5.2.8 note, some routers). */
  v3ChecksumExcludesPseudoHeader: boolean;
  trackInterfaces: TrackInterfaceConfig[];
  /** Checks (of any kind, by name) that move this instance's priority or put it in FAULT. */
  trackChecks: TrackCheckRef[];
  notify: NotifyConfig;
  garp: GarpConfig;
  lowerPriority: LowerPriorityConfig;
  /** keepalived higher_prio_send_advert: one advert of our own before yielding to a higher priority (hotstandby default on). */
  advertOnYield: boolean;
  /** keepalived smtp_alert: mail its transitions (set only when on; global.mail.alert is the default). */
  smtpAlert?: boolean;
  source: SourceLocation;
}

export interface SyncGroupConfig {
  name: string;
  instances: string[];
  notify: NotifyConfig;
  /** keepalived smtp_alert in vrrp_sync_group (set only when on). */
  smtpAlert?: boolean;
  source: SourceLocation;
}

export interface GlobalConfig {
  routerId?: string;
  multicastGroup4: string;
  multicastGroup6: string;
  /** Default user of scripts (keepalived script_user); exec checks without a user of their own get it. */
  scriptUser?: string;
  /** Group of scriptUser (keepalived `script_user USER GROUP`); unset = the user's own group. */
  scriptGroup?: string;
  enableScriptSecurity: boolean;
  /** Defaults applied to instances that set nothing themselves. */
  garp: GarpConfig;
  /** keepalived notify_fifo / vrrp_notify_fifo: a FIFO that gets one line per state change. */
  notifyFifo?: string;
  /**
   * keepalived notify_fifo_script: a command line (split like notify scripts) started with the
   * FIFO path appended as its last argument, to read the FIFO. Only set together with notifyFifo.
   */
  notifyFifoScript?: string;
  /** keepalived vrrp_startup_delay: wait this long after start before running the instances (default 0). */
  startupDelayMs: number;
  /**
   * The nice value the daemon raises itself to at start (keepalived vrrp_priority; default -10),
   * -20..19. Children it starts get the priority it was started with (src/util/process-priority.ts).
   */
  processPriority: number;
  /** keepalived vrrp_strict: the default of every instance's strict mode (unset: off). */
  strict?: boolean;
  /** keepalived vrrp_higher_prio_send_advert: the default of every instance's advertOnYield (unset: on). */
  advertOnYield?: boolean;
  /** The control API and dashboard on TCP (off when unset): src/config/web-listener.ts. */
  web?: WebListenerConfig;
  /** keepalived's smtp_alert mail settings (src/config/mail.ts); unset when the file has none. */
  mail?: MailConfig;
  /** Signed JSON POSTs of event-log records (src/config/webhooks.ts); unset when none. */
  webhooks?: WebhookConfig[];
  /** The peer's control API, for the dashboard's "as the peer reports itself" (src/config/peer-api.ts). */
  peerApi?: PeerApiConfig;
}

export interface HotstandbyConfig {
  global: GlobalConfig;
  instances: InstanceConfig[];
  /** Health checks of every kind (keepalived vrrp_script, track_file, vrrp_track_process, ...). */
  checks: CheckConfig[];
  syncGroups: SyncGroupConfig[];
  /** Role-following resources (issue 11 §1), in order; absent = none (resource-model.ts). */
  resources?: ResourceConfig[];
  /** Backup jobs (YAML `backups:`, backups.ts); none when unset. */
  backups?: BackupsConfig;
}

/** A keyword that was understood but not supported, or ignored, with where it stood. */
export interface ConfigWarning {
  message: string;
  source: SourceLocation;
}

export interface LoadedConfig {
  config: HotstandbyConfig;
  warnings: ConfigWarning[];
}
