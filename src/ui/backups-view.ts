/**
 * The dashboard's Backups section (issue 14 §1): the job tiles, rendered here from the same
 * status /v1/backups serves, and the empty places the browser module (browser/backups.ts) fills
 * when the operator browses a snapshot: snapshots, the tree, downloads, restores with progress.
 */
import type { BackupJobStatus, BackupsStatus, OperationProgress, OperationStatus } from '../backup/jobs/status.js';
import { html, type Html } from './html.js';

export interface BackupsView {
  status(): BackupsStatus;
  runEffect(job: string): string;
}

const bytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`);
const when = (iso: string | undefined): string => (iso === undefined ? 'never' : iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'));

export function progressText(p: OperationProgress): string {
  const part = p.total !== undefined && p.total > 0 ? ` of ${bytes(p.total)} (${Math.min(100, Math.floor((p.bytes / p.total) * 100))} %)` : '';
  const eta = p.etaSeconds !== undefined ? `, about ${p.etaSeconds} s to go` : '';
  return `${p.phase}: ${bytes(p.bytes)}${part} at ${bytes(p.rate)}/s${eta}`;
}

function renderJob(j: BackupJobStatus, admin: boolean, effect: string): Html {
  const last = j.lastRun;
  const alarmed = j.alarms.length > 0;
  return html`<article class="tile backup-job ${alarmed ? 'alarmed' : last?.ok === false ? 'failed' : ''}" data-job="${j.name}" data-holds-role="${String(j.holdsRole)}">
  <header><h3>${j.name}</h3> <span class="state">${j.running ? (j.running.kind === 'run' ? 'running' : 'verifying') : 'idle'}</span></header>
  <p class="asof">as of <span class="age">0 s</span> ago</p>
  <dl>
    <dt>Runs on</dt><dd>the ${j.role} of ${j.follows}: ${j.holdsRole ? 'this node' : `not this node (${j.state})`}</dd>
    <dt>Schedule</dt><dd><code>${j.schedule}</code>; next <span class="next-run">${when(j.nextRun)}</span></dd>
    <dt>Last run</dt><dd class="last-run" data-ok="${last ? String(last.ok) : ''}">${last ? html`${last.ok ? 'ok' : last.incomplete ? 'incomplete' : 'failed'} at ${when(last.finishedAt)} (${last.trigger}), ${(last.durationMs / 1000).toFixed(1)} s, ${bytes(last.bytesRead)} read, ${bytes(last.bytesAdded)} added${last.error ? html`: <span class="error">${last.error}</span>` : ''}${last.notes.length ? html`<br><small>${last.notes.join('; ')}</small>` : ''}` : 'none on this node since it started'}</dd>
    <dt>Latest snapshot</dt><dd>${when(j.latestSnapshot)}</dd>
    <dt>Repositories</dt><dd>${j.repositories.map((r, i) => html`<button type="button" class="browse" data-job="${j.name}" data-repo="${i}">${r}</button> `)}</dd>
    ${j.lastVerify ? html`<dt>Verified</dt><dd class="${j.lastVerify.ok ? 'ok' : 'bad'}">${j.lastVerify.ok ? 'ok' : 'problems'} at ${when(j.lastVerify.finishedAt)}: ${j.lastVerify.ok ? j.lastVerify.summary : j.lastVerify.problems.join('; ')}</dd>` : ''}
    ${j.running?.progress ? html`<dt>Progress</dt><dd class="progress">${progressText(j.running.progress)}</dd>` : ''}
    ${alarmed ? html`<dt>Alarms</dt><dd><ul class="alarms">${j.alarms.map((a) => html`<li class="bad" data-alarm="${a.kind}">${a.kind} since ${when(a.since)}: ${a.message}</li>`)}</ul></dd>` : ''}
  </dl>
  ${admin && j.holdsRole ? html`<div class="actions"><button type="button" class="action" data-action="backup-run" data-job="${j.name}" data-label="Run backup job ${j.name} now" data-effect="${effect}">Run now</button></div>` : ''}
</article>
`;
}

function renderOperation(o: OperationStatus): Html {
  return html`<li data-operation="${o.id}" data-state="${o.state}">${o.kind} ${o.description} by ${o.actor}: <span class="op-state">${o.state === 'running' ? (o.progress ? progressText(o.progress) : 'starting') : o.state === 'done' ? (o.result ?? 'done') : `failed: ${o.error ?? ''}`}</span></li>`;
}

/** The job tiles and the operations: what the page refreshes. */
export function renderBackupTiles(view: BackupsView, admin: boolean): Html {
  const status = view.status();
  return html`${status.jobs.map((j) => renderJob(j, admin, view.runEffect(j.name)))}
${status.operations.length ? html`<div class="operations"><h3>Restores</h3><ul>${[...status.operations].reverse().map(renderOperation)}</ul></div>` : ''}`;
}

/** The whole section. */
export function renderBackupsSection(view: BackupsView, admin: boolean): Html {
  return html`<section id="backups" aria-labelledby="backups-title">
  <h2 id="backups-title">Backups</h2>
  <div id="backup-tiles">${renderBackupTiles(view, admin)}</div>
  <div id="backup-browser" hidden>
    <h3 id="browser-title">Snapshots</h3>
    <ol id="snapshot-list" class="snapshots"></ol>
    <nav id="tree-path" class="tree-path"></nav>
    <table id="tree" class="tree" hidden><thead><tr><th>Name</th><th>Type</th><th>Size</th><th>Modified</th><th></th></tr></thead><tbody></tbody></table>
  </div>
</section>
<dialog id="restore-dialog">
  <form method="dialog">
    <h2 id="restore-title">Restore</h2>
    <p id="restore-effect"></p>
    <label>Restore below this directory on this node: <input id="restore-target" type="text" required pattern="/.*" placeholder="/var/tmp/restore"></label>
    <p id="restore-error" class="error" hidden></p>
    <div class="buttons"><button value="cancel" id="restore-cancel">Cancel</button> <button value="ok" id="restore-ok">Restore</button></div>
  </form>
</dialog>`;
}
