/**
 * "The peer as it reports itself" (global.peerApi), beside "the peer as this node hears it" in
 * each tile: what the peer's own API last said, with its age. Ages are rendered in milliseconds
 * (`data-age-ms`) and counted on by the browser (browser/freshness.ts), like every other age.
 */
import { html, type Html } from './html.js';
import type { PeerSnapshot } from './peer/peer-poller.js';

/** What the routes need: the latest snapshot and the monotonic now it is measured against. */
export interface PeerSource {
  snapshot(): PeerSnapshot;
  now(): number;
}

function age(snapshot: PeerSnapshot, now: number): Html {
  const ms = Math.max(0, Math.round(now - (snapshot.receivedMs ?? now)));
  return html`<span class="peer-asof">as of <span class="peer-age" data-age-ms="${String(ms)}">${String(Math.round(ms / 1000))} s</span> ago</span>`;
}

function status(snapshot: PeerSnapshot): 'waiting' | 'answering' | 'unreachable' {
  if (!snapshot.asked) return 'waiting';
  return snapshot.error === undefined ? 'answering' : 'unreachable';
}

export function renderPeerSummary(peer: PeerSource | undefined): Html {
  if (peer === undefined) return html``;
  const snapshot = peer.snapshot();
  const now = peer.now();
  const state = status(snapshot);
  const what =
    state === 'waiting'
      ? html`waiting for its first answer`
      : state === 'answering'
        ? html`answering, ${age(snapshot, now)}`
        : html`<strong>not answering</strong> (${snapshot.error ?? ''})${snapshot.report ? html`; last report ${age(snapshot, now)}` : ''}`;
  return html`<p class="peer-summary" data-peer="${state}">The peer as it reports itself (<code>${snapshot.url}</code>): ${what}</p>
`;
}

/** The tile's row for instance `name`; nothing when no peer API is configured. */
export function renderPeerRow(name: string, peer: PeerSource | undefined): Html {
  if (peer === undefined) return html``;
  const snapshot = peer.snapshot();
  const mine = snapshot.report?.instances.find((i) => i.name === name);
  const state = status(snapshot);
  let text: Html;
  if (snapshot.report === undefined) text = state === 'waiting' ? html`no answer yet` : html`not answering (${snapshot.error ?? ''})`;
  else if (mine === undefined) text = html`has no instance ${name} (${age(snapshot, peer.now())})`;
  else {
    const master = mine.state === 'MASTER' ? 'itself' : (mine.masterAddress ?? 'none heard');
    text = html`<span class="peer-state">${mine.state}</span>${mine.maintenance ? ' (maintenance)' : ''}, priority ${String(mine.effectivePriority)} (configured ${String(mine.priority)}), master: ${master}, ${age(snapshot, peer.now())}${state === 'unreachable' ? html` <strong class="bad">— not answering now</strong>` : ''}`;
  }
  return html`<dt>Peer reports</dt><dd class="peer" data-peer="${state}" data-peer-state="${mine?.state ?? ''}">${text}</dd>`;
}
