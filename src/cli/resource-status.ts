/** The resources table of `hotstandby status`. */
import type { ResourceStatus } from '../resources/group.js';
import { table } from './status.js';

export function formatResources(resources: readonly ResourceStatus[]): string {
  const rows = resources.map((r) => {
    const last = r.lastOperation;
    const health = r.healthy === null ? '-' : r.healthy ? 'healthy' : 'FAILED';
    const eligible = r.eligibility === null ? '-' : r.eligibility.eligible ? 'yes' : `NO: ${r.eligibility.reason}`;
    const gauges = Object.entries(r.gauges).map(([k, v]) => `${k}=${v}`).join(' ');
    const alarm = r.lagAlarm?.raised ? `LAG ALARM: ${r.lagAlarm.message ?? ''}` : '';
    return [
      r.name,
      r.kind,
      r.follows,
      r.running ? `${r.phase} (${r.running}…)` : r.phase,
      last ? `${last.operation} ${last.result} ${Math.round(last.durationMs)}ms` : '-',
      health,
      eligible,
      r.hold ? `${r.hold.reason} (${Math.ceil(r.hold.remainingMs / 1000)}s)` : [alarm, r.monitorDetail ?? '', gauges].filter(Boolean).join(' ') || '-',
    ];
  });
  return table(['RESOURCE', 'KIND', 'FOLLOWS', 'PHASE', 'LAST OPERATION', 'MONITOR', 'ELIGIBLE', 'DETAIL'], rows);
}
