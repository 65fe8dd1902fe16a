/**
 * What keepalived runs and writes on a state change, as pure functions (keepalived 2.2.7,
 * vrrp_notify.c, checked against the installed binary's format string):
 *  - the state's own script (notify_master / _backup / _fault / _stop) with its configured words only;
 *  - then the generic `notify` script with four words appended: TYPE NAME STATE PRIORITY, where TYPE
 *    is INSTANCE or GROUP, STATE is upper case, and PRIORITY is the instance's effective priority
 *    (always 0 for a group);
 *  - one FIFO line `TYPE "NAME" STATE PRIORITY\n` (so `GROUP "G1" BACKUP 0` for a group).
 * Measured with keepalived 2.2.7 in a namespace: `notify "/x/gen.sh w"` is run as
 * `/x/gen.sh w INSTANCE VI_1 MASTER 103` and `/x/gen.sh w GROUP G1 MASTER 0`; on shutdown both
 * instances and sync groups get STOP (their notify_stop and the generic script).
 */
import type { NotifyConfig } from '../config/model.js';
import { splitCommandLine } from '../config/command-line.js';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
/** What a FIFO line and a hook record can name: a state, or keepalived's lower-priority event. */
export type NotifyEvent = NotifyState | 'MASTER_RX_LOWER_PRI';
export type NotifyKind = 'INSTANCE' | 'GROUP';

/** Which configured script a hook comes from, named as the keepalived keyword. */
export type HookKeyword = 'notify_master' | 'notify_backup' | 'notify_fault' | 'notify_stop' | 'notify' | 'notify_master_rx_lower_pri';

export interface HookSpec {
  keyword: HookKeyword;
  /** Program and arguments; never passed through a shell. */
  command: string[];
}

const STATE_SCRIPT: Record<NotifyState, { field: keyof NotifyConfig; keyword: HookKeyword }> = {
  MASTER: { field: 'master', keyword: 'notify_master' },
  BACKUP: { field: 'backup', keyword: 'notify_backup' },
  FAULT: { field: 'fault', keyword: 'notify_fault' },
  STOP: { field: 'stop', keyword: 'notify_stop' },
};

/**
 * The hooks to run, in keepalived's order (the state's script, then the generic one).
 * Throws SyntaxError when a command line does not split (validated configs never do).
 */
export function hooksFor(kind: NotifyKind, name: string, notify: NotifyConfig, state: NotifyState, priority: number): HookSpec[] {
  const hooks: HookSpec[] = [];
  const own = STATE_SCRIPT[state];
  const ownLine = notify[own.field];
  if (ownLine) hooks.push({ keyword: own.keyword, command: splitCommandLine(ownLine) });
  if (notify.generic) {
    const extra = [kind, name, state, String(kind === 'GROUP' ? 0 : priority)];
    hooks.push({ keyword: 'notify', command: [...splitCommandLine(notify.generic), ...extra] });
  }
  return hooks.filter((hook) => hook.command.length > 0);
}

/**
 * keepalived send_event_notify: a master heard a lower-priority advert. notify_master_rx_lower_pri
 * runs with its configured words only; the generic `notify` script is not run for it.
 */
export function lowerPriorityHooks(notify: NotifyConfig): HookSpec[] {
  if (!notify.masterRxLowerPri) return [];
  const command = splitCommandLine(notify.masterRxLowerPri);
  return command.length > 0 ? [{ keyword: 'notify_master_rx_lower_pri', command }] : [];
}

/** keepalived's notify FIFO line, newline included (`INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150` for the event). */
export function fifoLine(kind: NotifyKind, name: string, state: NotifyEvent, priority: number): string {
  return `${kind} "${name}" ${state} ${kind === 'GROUP' ? 0 : priority}\n`;
}
