/**
 * Defaults and limits, as keepalived 2.2.7 has them (so an unchanged keepalived.conf behaves the
 * same), shared by both front ends through validateConfig().
 */
import { VRRP_MULTICAST_V4, VRRP_MULTICAST_V6 } from '../vrrp/advert.js';
import type { GarpConfig } from './model.js';

export const DEFAULT_PRIORITY = 100;
/** RFC 3768 §5.3.4 / RFC 5798 §5.2.4: 255 is the address owner. */
export const OWNER_PRIORITY = 255;
export const DEFAULT_ADVERT_INTERVAL_MS = 1000;
export const DEFAULT_VERSION = 2;
export const DEFAULT_UNICAST_TTL = 255;
export const DEFAULT_MULTICAST_GROUP4 = VRRP_MULTICAST_V4;
export const DEFAULT_MULTICAST_GROUP6 = VRRP_MULTICAST_V6;

export const DEFAULT_GARP: Readonly<GarpConfig> = {
  masterDelayMs: 5000,
  masterRepeat: 5,
  masterRefreshMs: 0,
  masterRefreshRepeat: 1,
  intervalMs: 0,
};

/** RFC 3768 §5.3.7: one octet of whole seconds. */
export const V2_MAX_ADVERT_INTERVAL_MS = 255_000;
/** RFC 5798 §5.2.5: 12 bits of centiseconds. */
export const V3_MAX_ADVERT_INTERVAL_MS = 40_950;
export const V3_ADVERT_INTERVAL_STEP_MS = 10;
/** keepalived: preempt_delay 0..1000 s. */
export const MAX_PREEMPT_DELAY_MS = 1_000_000;
/** keepalived: tracking weights of interfaces and scripts (vrrp_script, track_script), -253..253. */
export const MAX_TRACK_WEIGHT = 253;
/** Check weights (check model; keepalived track_file and vrrp_track_process allow -254..254). */
export const MAX_CHECK_WEIGHT = 254;
/** RFC 3768 §5.3.6.1: the simple text password fills 8 octets; keepalived truncates. */
export const AUTH_PASS_MAX_LENGTH = 8;
/** RFC 3768 §5.3.5 / RFC 5798 §5.2.3: "Count IP Addrs" is one octet. */
export const MAX_ADVERTISED_ADDRESSES = 255;

/** keepalived vrrp_script defaults, used for every kind of check. */
export const DEFAULT_CHECK_INTERVAL_MS = 1000;
export const DEFAULT_CHECK_RISE = 1;
export const DEFAULT_CHECK_FALL = 1;
/** keepalived track_file: the file's number is added to the priority as it is. Other kinds: 0 (failure = FAULT). */
export const DEFAULT_FILE_CHECK_WEIGHT = 1;
/** Success for an HTTP check unless told otherwise (keepalived's HTTP_GET default too). */
export const DEFAULT_HTTP_EXPECT_STATUS: ReadonlyArray<readonly [number, number]> = [[200, 299]];
/** Longer than a day between two looks at a service is a typo, not a plan. */
export const MAX_CHECK_INTERVAL_MS = 86_400_000;
/** rise and fall: keepalived reads them as int. */
export const MAX_RISE_FALL = 2 ** 31 - 1;
/** keepalived vrrp_track_process quorum: 1..65535, default 1. */
export const MAX_PROCESS_QUORUM = 65_535;
/** The kernel keeps TASK_COMM_LEN - 1 bytes of a process name (/proc/PID/comm). */
export const PROCESS_NAME_MAX_BYTES = 15;
/** A day is the longest gap keepalived accepts for the GARP timers in practice; anything longer is a typo. */
export const MAX_GARP_TIMER_MS = 86_400_000;
/** GARP repeat counts: keepalived reads an unsigned; a million packets is already a mistake. */
export const MAX_GARP_REPEAT = 1_000_000;
/**
 * The daemon's nice value unless the configuration says otherwise: a loaded machine must still run
 * the VRRP timers on time (a master-down interval is a few hundred milliseconds). keepalived's
 * `vrrp_priority` has the same meaning (its default is 0).
 */
export const DEFAULT_PROCESS_PRIORITY = -10;
/** keepalived vrrp_startup_delay: up to UINT_MAX microseconds. */
export const MAX_STARTUP_DELAY_MS = 4_294_967;
