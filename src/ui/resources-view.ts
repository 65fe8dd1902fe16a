/**
 * The Resources section: one tile per role-following resource (GET /v1/resources, the daemon's
 * ResourceStatus), rendered on the server like the instance tiles and refreshed by
 * browser/resources.ts from /ui/fragments/resources. Gauges named lag_* get a sparkline the
 * browser draws from the samples it keeps (the server renders the current value in data-value);
 * a `conflicts` gauge is shown, highlighted when above 0.
 */
import type { ResourceStatus } from '../resources/group.js';
import { html, type Html } from './html.js';

/** What each phase means to an operator (src/resources/plan.ts). */
const PHASE_TEXT: Record<ResourceStatus['phase'], string> = {
  down: 'down (stopped)',
  standby: 'standby',
  active: 'active (promoted)',
  partial: 'partial (a promote failed)',
  dirty: 'dirty (a demote failed)',
  stuck: 'stuck (a stop failed)',
};

const LAG_GAUGE = /^lag_[a-z0-9_]+$/;

export function renderResourcesSection(resources: readonly ResourceStatus[]): Html {
  return html`<section id="resources" aria-labelledby="resources-title">
  <h2 id="resources-title">Resources and replication</h2>
  <div id="resource-tiles">${renderResourceTiles(resources)}</div>
</section>
`;
}

/** The tiles alone: what the page swaps in when it refreshes. */
export function renderResourceTiles(resources: readonly ResourceStatus[]): Html {
  if (resources.length === 0) return html`<p class="empty">No resources are configured on this node.</p>`;
  return html`${resources.map(renderTile)}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** A gauge's value in its unit, told by its name's suffix (lag_seconds, lag_bytes). */
export function formatGauge(name: string, value: number): string {
  if (name.endsWith('_seconds')) return `${Number(value.toFixed(3))} s`;
  if (name.endsWith('_bytes')) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = value;
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
  }
  return String(Number(value.toFixed(3)));
}

function renderTile(r: ResourceStatus): Html {
  const failedOp = r.lastOperation !== undefined && r.lastOperation.result !== 'ok';
  const conflicts = r.gauges.conflicts;
  const vetoed = r.eligibility !== null && !r.eligibility.eligible;
  const classes = ['resource-tile', `phase-${r.phase}`, failedOp ? 'op-failed' : '', vetoed ? 'vetoed' : '', conflicts !== undefined && conflicts > 0 ? 'has-conflicts' : '', r.lagAlarm?.raised ? 'lag-alarm-raised' : ''];
  return html`<article class="${classes.filter(Boolean).join(' ')}" data-resource="${r.name}" data-kind="${r.kind}" data-phase="${r.phase}" data-role="${r.role}">
  <header><h3>${r.name}</h3> <span class="kind">${r.kind}</span> <span class="phase">${PHASE_TEXT[r.phase]}</span></header>
  <p class="asof">as of <span class="age">0 s</span> ago</p>
  <dl>
    <dt>Follows</dt><dd>${r.follows}, driven to ${r.role}${r.running ? html`; <strong class="running">${r.running} running</strong>` : ''}</dd>
    <dt>Last operation</dt><dd class="last-op${failedOp ? ' bad' : ''}" data-result="${r.lastOperation?.result ?? ''}">${renderLastOperation(r)}</dd>
    <dt>Monitor</dt><dd class="monitor${r.healthy === false ? ' bad' : ''}" data-healthy="${r.healthy === null ? '' : String(r.healthy)}">${renderMonitor(r)}</dd>
    <dt>Eligible</dt><dd class="eligibility${vetoed ? ' bad' : ''}">${r.eligibility === null ? 'not known yet' : r.eligibility.eligible ? 'yes' : html`no, vetoes mastership: <span class="veto">${r.eligibility.reason}</span>`}</dd>
    ${r.hold ? html`<dt>Held</dt><dd class="hold bad">FAULT: ${r.hold.reason} (retry in ${seconds(r.hold.remainingMs)})</dd>` : ''}
    ${r.lagAlarm ? html`<dt>Lag alarm</dt><dd class="lag-alarm${r.lagAlarm.raised ? ' bad' : ''}" data-raised="${String(r.lagAlarm.raised)}">${renderLagAlarm(r.lagAlarm)}</dd>` : ''}
    ${conflicts !== undefined ? html`<dt>Conflicts</dt><dd class="conflicts${conflicts > 0 ? ' bad' : ''}" data-conflicts="${String(conflicts)}">${String(conflicts)}</dd>` : ''}
    ${renderGauges(r)}
  </dl>
</article>
`;
}

function renderLastOperation(r: ResourceStatus): Html {
  const op = r.lastOperation;
  if (op === undefined) return html`none yet`;
  const result = op.result === 'ok' ? 'succeeded' : op.result === 'timeout' ? 'timed out' : op.result;
  return html`${op.operation} <span class="result">${result}</span> in ${Math.round(op.durationMs)} ms, ${seconds(op.agoMs)} ago${op.error ? html`: <span class="op-error">${op.error}</span>` : ''}`;
}

function renderLagAlarm(alarm: NonNullable<ResourceStatus['lagAlarm']>): Html {
  const when = alarm.changedAgoMs !== undefined ? ` (${seconds(alarm.changedAgoMs)} ago)` : '';
  if (alarm.raised) return html`RAISED${when}: ${alarm.message ?? ''}`;
  return html`clear${alarm.message !== undefined ? html`${when}: ${alarm.message}` : ''}`;
}

function renderMonitor(r: ResourceStatus): Html {
  const state = r.healthy === null ? 'not monitored yet' : r.healthy ? 'healthy' : 'failed';
  return html`${state}${r.monitorDetail ? `: ${r.monitorDetail}` : ''}${r.lastMonitorAgoMs !== undefined ? ` (${seconds(r.lastMonitorAgoMs)} ago)` : ''}`;
}

function renderGauges(r: ResourceStatus): Html {
  const names = Object.keys(r.gauges)
    .filter((n) => n !== 'conflicts')
    .sort();
  if (names.length === 0) return html``;
  return html`<dt>Gauges</dt><dd><ul class="gauges">${names.map((name) => {
    const value = r.gauges[name] as number;
    const lag = LAG_GAUGE.test(name);
    return html`<li data-gauge="${name}"><span class="gauge-name">${name}</span> <span class="gauge-value">${formatGauge(name, value)}</span>${lag ? renderSparkline(r.name, name, value) : ''}</li>`;
  })}</ul></dd>`;
}

/** An empty chart with the current value: browser/resources.ts keeps the samples and draws it. */
function renderSparkline(resource: string, gauge: string, value: number): Html {
  return html`<svg class="spark" data-series="${resource}/${gauge}" data-value="${String(value)}" viewBox="0 0 120 24" width="120" height="24" role="img" aria-label="${gauge} of ${resource}, recent samples"><polyline points=""></polyline></svg>`;
}
