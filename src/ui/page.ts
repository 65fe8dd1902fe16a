/**
 * The dashboard page and its instance tiles, rendered on the server from what the API serves.
 * The browser modules (browser/) only refresh the tiles from /ui/fragments/instances, follow the
 * event stream into the timeline, keep the "as of" ages, and confirm actions: one renderer.
 */
import type { DaemonStatus } from '../api/control-api.js';
import type { InstanceDetail } from '../api/instance-view.js';
import type { RequestIdentity } from '../api/request-identity.js';
import { garpEffect, maintenanceEffect, RELOAD_EFFECT } from './effects.js';
import { html, type Html } from './html.js';
import { renderPeerRow, renderPeerSummary, type PeerSource } from './peer-view.js';
import { renderBackupsSection, type BackupsView } from './backups-view.js';
import { renderResourcesSection } from './resources-view.js';

export interface PageData {
  node: string;
  status: DaemonStatus;
  instances: InstanceDetail[];
  identity: RequestIdentity;
  /** The peer's own API (global.peerApi), when configured. */
  peer?: PeerSource;
  /** The backup jobs, when the daemon has any: their section replaces the placeholder. */
  backups?: BackupsView;
}

/** Sections the page will show when their subsystems land: empty, and marked as such. */
const PLACEHOLDERS = [
  { id: 'backups', title: 'Backups', text: 'No backup jobs are configured on this node (`backups:` in the YAML config, docs/backups.md); their runs, snapshots and restores appear here when there are.' },
];

export function renderDashboard(data: PageData): Html {
  const admin = data.identity.role === 'admin';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${data.identity.csrfToken ? html`<meta name="csrf-token" content="${data.identity.csrfToken}">` : ''}
<title>hotstandby · ${data.node}</title>
<link rel="stylesheet" href="/ui/assets/style.css">
<script type="module" src="/ui/assets/dashboard.js"></script>
${data.backups ? html`<script type="module" src="/ui/assets/backups.js"></script>` : ''}
<script type="module" src="/ui/assets/resources.js"></script>
</head>
<body data-role="${data.identity.role}">
<header class="top">
  <h1>hotstandby <span class="node">${data.node}</span></h1>
  <span id="connection" class="connection" role="status">connecting…</span>
  <span class="who">${data.identity.role === 'admin' ? 'admin' : 'read only'} · pid ${data.status.pid} · up since ${data.status.startedAt}</span>
  ${admin ? html`<button type="button" class="action" data-action="reload" data-label="Reload the configuration" data-effect="${RELOAD_EFFECT}">Reload</button>` : ''}
  ${data.identity.tcp ? html`<button type="button" id="logout">Log out</button>` : ''}
</header>
<p id="lost" class="lost" hidden>Connection lost: the daemon does not answer. Everything below is as of the moment shown, not now.</p>
<main>
<section id="instances" aria-labelledby="instances-title">
  <h2 id="instances-title">Instances on this node</h2>
  <div id="instance-tiles">${renderInstanceTiles(data.instances, admin, data.peer)}</div>
</section>
<section id="timeline" aria-labelledby="timeline-title">
  <h2 id="timeline-title">Failover timeline</h2>
  <p class="asof" id="timeline-asof">as of <span class="age">–</span> ago</p>
  <ol id="events" class="events"></ol>
</section>
${renderResourcesSection(data.status.resources ?? [])}
${PLACEHOLDERS.filter((p) => !(p.id === 'backups' && data.backups)).map((p) => html`<section id="${p.id}" class="placeholder" data-placeholder="${p.id}" aria-labelledby="${p.id}-title">
  <h2 id="${p.id}-title">${p.title}</h2>
  <p>${p.text}</p>
</section>
`)}
${data.backups ? renderBackupsSection(data.backups, admin) : ''}
</main>
<dialog id="confirm">
  <form method="dialog">
    <h2 id="confirm-title">Confirm</h2>
    <p id="confirm-effect"></p>
    <p id="confirm-error" class="error" hidden></p>
    <div class="buttons"><button value="cancel" id="confirm-cancel">Cancel</button> <button value="ok" id="confirm-ok">Confirm</button></div>
  </form>
</dialog>
</body>
</html>
`;
}

/** The tiles alone: what the page swaps in when it refreshes. */
export function renderInstanceTiles(instances: readonly InstanceDetail[], admin: boolean, peer?: PeerSource): Html {
  if (instances.length === 0) return html`<p class="empty">No instances are configured on this node.</p>`;
  return html`${renderPeerSummary(peer)}${instances.map((i) => renderTile(i, admin, peer))}`;
}

function renderTile(i: InstanceDetail, admin: boolean, peer: PeerSource | undefined): Html {
  const master = i.state === 'MASTER';
  return html`<article class="tile state-${i.state.toLowerCase()}" data-instance="${i.name}" data-state="${i.state}">
  <header><h3>${i.name}</h3> <span class="state">${i.state}</span>${i.maintenance ? html` <span class="maintenance">maintenance</span>` : ''}</header>
  <p class="asof">as of <span class="age">0 s</span> ago</p>
  <dl>
    <dt>VRID</dt><dd>${i.vrid} on ${i.interface} (IPv${i.family}, VRRPv${i.version})</dd>
    <dt>Priority</dt><dd class="priority">configured ${i.priority.configured}, effective <strong>${i.priority.effective}</strong></dd>
    <dt>Moved by</dt><dd>${renderMovers(i)}</dd>
    <dt>VIPs</dt><dd><ul class="vips">${i.vips.map((v) => html`<li>${v}: <span class="holder">${master ? 'held here' : i.masterAddress ? `held by ${i.masterAddress}` : 'no master heard'}</span></li>`)}</ul></dd>
    <dt>Master</dt><dd class="master">${master ? 'this node' : (i.masterAddress ?? 'none heard yet')}</dd>
    ${renderPeerRow(i.name, peer)}
    <dt>Last change</dt><dd>${i.lastTransition ? `${i.lastTransition.from} → ${i.lastTransition.to}: ${i.lastTransition.reason} (${i.lastTransition.time})` : 'none'}</dd>
  </dl>
  ${admin ? renderActions(i) : ''}
</article>
`;
}

function renderMovers(i: InstanceDetail): Html {
  const items: Html[] = [];
  for (const c of i.priority.checks) {
    const effect = c.faults ? 'FAULT while failed' : c.contribution === 0 ? 'adds 0 now' : `${c.contribution > 0 ? '+' : ''}${c.contribution} now`;
    items.push(html`<li class="${c.healthy ? 'ok' : 'bad'}">check ${c.check}: ${c.healthy ? 'healthy' : 'failed'}, weight ${c.weight} (${effect})</li>`);
  }
  for (const t of i.priority.interfaces) items.push(html`<li>interface ${t.name}, weight ${t.weight}${t.weight === 0 ? ' (FAULT while down)' : ''}</li>`);
  const offset = i.priority.offsets.track_interface;
  if (offset !== undefined && offset !== 0) items.push(html`<li class="bad">tracked interfaces: ${offset} now</li>`);
  if (items.length === 0) return html`nothing tracked`;
  return html`<ul class="movers">${items}</ul>`;
}

function renderActions(i: InstanceDetail): Html {
  const on = !(i.maintenance ?? false);
  return html`<div class="actions">
    <button type="button" class="action" data-action="maintenance" data-instance="${i.name}" data-on="${String(on)}"
      data-label="Maintenance ${on ? 'on' : 'off'} for ${i.name}" data-effect="${maintenanceEffect(i, on)}">Maintenance ${on ? 'on' : 'off'}</button>
    ${i.state === 'MASTER' ? html`<button type="button" class="action" data-action="garp" data-instance="${i.name}" data-label="Gratuitous ARP for ${i.name}" data-effect="${garpEffect(i)}">Send GARP</button>` : ''}
  </div>`;
}

