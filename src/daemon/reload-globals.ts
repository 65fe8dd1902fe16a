/**
 * What a reload does with each global setting: every key of GlobalConfig is listed (the type
 * makes a new key fail to compile until it is), so no changed global is ignored silently.
 *
 * - 'in-place': used from now on by the part that reads it (notify hooks, script checks, ...).
 * - 'instances': resolved into the instances, which are rebuilt where it changes what they are.
 * - 'next-start': only read when the daemon starts; the new value is used at the next start.
 * - 'restart': cannot change while running; the reload is refused, naming the key.
 */
import type { GlobalConfig } from '../config/model.js';

export type GlobalReload = 'in-place' | 'instances' | 'next-start' | 'restart';

export interface GlobalKey {
  /** keepalived's keyword(s), for messages. */
  keyword: string;
  reload: GlobalReload;
  /** What happens, for the reload result. */
  effect: string;
}

export const GLOBAL_RELOAD: Readonly<Record<keyof GlobalConfig, GlobalKey>> = {
  routerId: { keyword: 'router_id', reload: 'in-place', effect: 'shown from now on' },
  multicastGroup4: { keyword: 'vrrp_mcast_group4', reload: 'instances', effect: 'IPv4 multicast instances rebuilt on the new group' },
  multicastGroup6: { keyword: 'vrrp_mcast_group6', reload: 'instances', effect: 'IPv6 multicast instances rebuilt on the new group' },
  scriptUser: { keyword: 'script_user', reload: 'in-place', effect: 'hooks and checks run as it from now on' },
  scriptGroup: { keyword: 'script_user', reload: 'in-place', effect: 'hooks and checks run with it from now on' },
  enableScriptSecurity: { keyword: 'enable_script_security', reload: 'in-place', effect: 'scripts checked again' },
  garp: { keyword: 'vrrp_garp_*', reload: 'instances', effect: 'instances using the defaults rebuilt' },
  notifyFifo: { keyword: 'notify_fifo', reload: 'in-place', effect: 'lines go to the new FIFO from now on' },
  notifyFifoScript: { keyword: 'notify_fifo_script', reload: 'in-place', effect: 'recorded (hotstandby does not start FIFO scripts yet)' },
  startupDelayMs: { keyword: 'vrrp_startup_delay', reload: 'next-start', effect: 'used at the next start' },
  processPriority: { keyword: 'vrrp_priority', reload: 'in-place', effect: 'the daemon\'s threads (and its session\'s autogroup when it leads the session) set to it now; children still get the priority it was started with' },
  strict: { keyword: 'vrrp_strict', reload: 'instances', effect: 'resolved into the instances (strict-mode resets, accept mode), which are rebuilt where they change' },
  advertOnYield: { keyword: 'vrrp_higher_prio_send_advert', reload: 'instances', effect: 'the default of the instances, which are updated where they change' },
  web: { keyword: 'web (hotstandby only)', reload: 'restart', effect: 'the TCP listener is opened at start' },
  mail: { keyword: 'notification_email, smtp_*', reload: 'in-place', effect: 'mails from now on go with the new settings' },
  peerApi: { keyword: 'peerApi (hotstandby only)', reload: 'restart', effect: 'the dashboard asks the peer from the start' },
  webhooks: { keyword: 'webhooks (hotstandby only)', reload: 'in-place', effect: 'events from now on go to the new webhooks; deliveries under way finish' },
};

export interface GlobalsPlan {
  /** One line per changed key that the reload applies: "key (keyword): old → new: effect". */
  changes: string[];
  /** One line per changed key that needs a restart; the reload is refused when there is any. */
  refused: string[];
}

export function planGlobals(before: GlobalConfig, after: GlobalConfig, table: Readonly<Record<keyof GlobalConfig, GlobalKey>> = GLOBAL_RELOAD): GlobalsPlan {
  const plan: GlobalsPlan = { changes: [], refused: [] };
  for (const key of Object.keys(table) as Array<keyof GlobalConfig>) {
    // Compared in full, shown redacted: a changed token is a change even though it shows the same.
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    const [old, now] = [show(before[key]), show(after[key])];
    const { keyword, reload, effect } = table[key];
    const change = `global ${key} (${keyword}) ${old} → ${now}`;
    if (reload === 'restart') plan.refused.push(`${change}: cannot change while running; restart hotstandby to use it, or put the old value back`);
    else plan.changes.push(`${change}: ${effect}`);
  }
  return plan;
}

function show(value: unknown): string {
  // Tokens (global.web) and webhook secrets never reach the reload result or the log.
  return value === undefined ? 'unset' : typeof value === 'string' ? value : JSON.stringify(value, (key, v: unknown) => (/token$|^secret$/i.test(key) ? '<redacted>' : v));
}
