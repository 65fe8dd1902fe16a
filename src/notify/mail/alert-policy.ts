/**
 * Which state changes keepalived mails, and what the mail says, as a pure policy.
 *
 * keepalived 2.2.7 (vrrp_notify.c vrrp_smtp_notifier / vrrp_sync_smtp_notifier, subjects from
 * smtp.c): an instance or sync group with smtp_alert mails each state it enters that differs from
 * the last one it mailed (`last_email_state`); FAULT not at all with no_email_faults. Subject
 * `[<router_id>] VRRP Instance <name> - Entering MASTER state` (`VRRP Group` for a group;
 * `- Stopping` at shutdown); the body one line:
 *   MASTER  => VRRP Instance is now owning VRRP VIPs <=
 *   BACKUP  => VRRP Instance is no longer owning VRRP VIPs <=
 *   FAULT   => VRRP Instance is no longer owning VRRP VIPs <=
 *   STOP    => VRRP Instance stopping <=
 *   (groups: => All VRRP group instances are now in MASTER state <=, ...)
 *
 * What keepalived gets wrong, and what we do instead (subjects unchanged, so mail filters keep
 * working; the body's first line says what really happened, details follow):
 *  - BACKUP → FAULT says "no longer owning VRRP VIPs": the instance never owned them, and the mail
 *    reads exactly like a master losing its VIPs. (Older releases sent nothing at all for
 *    BACKUP → FAULT: keepalived issues #101, #583.) We say the instance is in FAULT and did not
 *    hold the VIPs, so nothing moved.
 *  - FAULT → BACKUP, the recovery, says "no longer owning VRRP VIPs", as if the VIPs had just been
 *    lost; nothing says the fault is over. We say it recovered from FAULT and is standing by
 *    (FAULT → MASTER: recovered and now holding the VIPs).
 *  - The first BACKUP at start says "no longer owning" too; we say it starts as backup.
 *  - With no_email_faults keepalived's recovery mail depends on what it mailed before the fault
 *    (after MASTER → FAULT it mails "Entering BACKUP"; after BACKUP → FAULT nothing). We keep that
 *    rule (only a state different from the last mailed one is mailed) and say "recovered" only
 *    when the FAULT itself was mailed.
 * Every body names the previous state, the reason, the VIPs and the node (router_id).
 */

export type MailKind = 'INSTANCE' | 'GROUP';
export type MailState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
export type PriorState = MailState | 'INIT';

export interface StateChange {
  kind: MailKind;
  name: string;
  from: PriorState;
  to: MailState;
  reason?: string;
  /** The instance's VIPs (a group's members' VIPs), for the body. */
  vips?: readonly string[];
  /** ISO time of the change. */
  time: string;
}

export interface AlertText {
  subject: string;
  body: string;
}

const SUBJECT_STATE: Record<MailState, string> = {
  MASTER: 'Entering MASTER state',
  BACKUP: 'Entering BACKUP state',
  FAULT: 'Entering FAULT state',
  STOP: 'Stopping',
};

export class MailAlertPolicy {
  /** keepalived last_email_state, per `${kind}:${name}`. */
  private readonly lastMailed = new Map<string, MailState>();

  /**
   * @param routerId keepalived router_id (its default is the host name).
   * @param faults false: keepalived no_email_faults.
   */
  constructor(
    private readonly routerId: string,
    private readonly faults: boolean,
  ) {}

  /** The mail for `change`, or undefined when keepalived's rules send none. Records what was mailed. */
  decide(change: StateChange): AlertText | undefined {
    const key = `${change.kind}:${change.name}`;
    if (change.to === 'FAULT' && !this.faults) return undefined;
    const last = this.lastMailed.get(key);
    if (last === change.to) return undefined;
    this.lastMailed.set(key, change.to);
    const what = change.kind === 'INSTANCE' ? 'VRRP Instance' : 'VRRP Group';
    const subject = `[${this.routerId}] ${what} ${change.name} - ${SUBJECT_STATE[change.to]}`;
    const headline = change.kind === 'INSTANCE' ? instanceHeadline(change, last) : groupHeadline(change, last);
    const details = [
      `${change.kind === 'INSTANCE' ? 'Instance' : 'Sync group'}: ${change.name}`,
      `Node: ${this.routerId}`,
      `State: ${change.from} -> ${change.to}`,
      ...(change.reason ? [`Reason: ${change.reason}`] : []),
      ...(change.vips && change.vips.length > 0 ? [`VIPs: ${change.vips.join(', ')}`] : []),
      `Time: ${change.time}`,
    ];
    return { subject, body: `${headline}\n\n${details.join('\n')}\n` };
  }

  /** Forget an instance or group (removed by a reload): a later one of the same name starts afresh. */
  forget(kind: MailKind, name: string): void {
    this.lastMailed.delete(`${kind}:${name}`);
  }
}

function instanceHeadline(change: StateChange, lastMailed: MailState | undefined): string {
  const recovered = change.from === 'FAULT' && lastMailed === 'FAULT';
  switch (change.to) {
    case 'MASTER':
      return recovered ? '=> VRRP Instance recovered from FAULT and is now owning VRRP VIPs <=' : '=> VRRP Instance is now owning VRRP VIPs <=';
    case 'BACKUP':
      if (recovered) return '=> VRRP Instance recovered from FAULT; it is backup and does not own the VRRP VIPs <=';
      // After an unmailed MASTER → FAULT (no_email_faults) the VIPs were lost too.
      if (change.from === 'MASTER' || lastMailed === 'MASTER') return '=> VRRP Instance is no longer owning VRRP VIPs <=';
      return '=> VRRP Instance is backup; it does not own the VRRP VIPs <=';
    case 'FAULT':
      return change.from === 'MASTER' ? '=> VRRP Instance is in FAULT state and no longer owning VRRP VIPs <=' : '=> VRRP Instance is in FAULT state; it did not own the VRRP VIPs, nothing moved <=';
    case 'STOP':
      return change.from === 'MASTER' ? '=> VRRP Instance stopping; it no longer owns the VRRP VIPs <=' : '=> VRRP Instance stopping <=';
  }
}

function groupHeadline(change: StateChange, lastMailed: MailState | undefined): string {
  const recovered = change.from === 'FAULT' && lastMailed === 'FAULT' ? 'recovered from FAULT; ' : '';
  if (change.to === 'STOP') return '=> All VRRP group instances are now stopping <=';
  return `=> ${recovered}All VRRP group instances are now in ${change.to} state <=`;
}
