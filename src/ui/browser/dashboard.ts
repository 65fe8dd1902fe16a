/**
 * The dashboard page's module: follows the event stream into the timeline, refreshes the tiles
 * after each event and every few seconds, keeps the "as of" ages, and greys the page out when
 * the stream drops (the values shown are then only as fresh as they say).
 */
import { post, wireActions } from './actions.js';
import { Freshness } from './freshness.js';
import { addEvent, type EventRecord } from './timeline.js';

const REFRESH_MS = 5000;

const tiles = document.getElementById('instance-tiles') as HTMLElement;
const events = document.getElementById('events') as HTMLOListElement;
const timelineAsOf = document.getElementById('timeline-asof') as HTMLElement;
const connection = document.getElementById('connection') as HTMLElement;
const lost = document.getElementById('lost') as HTMLElement;
const freshness = new Freshness();
let live = false;

function setLive(now: boolean): void {
  live = now;
  document.body.classList.toggle('disconnected', !now);
  lost.hidden = now;
  connection.textContent = now ? 'live' : 'connection lost';
  connection.className = `connection ${now ? 'live' : 'lost'}`;
  if (now) freshness.mark(timelineAsOf);
}

async function refreshTiles(): Promise<void> {
  try {
    const res = await fetch('/ui/fragments/instances', { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401 || res.status === 303) return location.assign('/ui/login');
    if (!res.ok) return;
    tiles.innerHTML = await res.text();
    for (const tile of tiles.querySelectorAll('.tile, .peer-summary')) freshness.mark(tile);
  } catch {
    // The stream's state decides what the page says; the ages keep counting.
  }
}

/**
 * A reload may add the first backup jobs: the page then holds only the Backups placeholder (and
 * not the section's module), so it is loaded again once /v1/backups lists a job.
 */
async function showAddedBackups(): Promise<void> {
  if (!document.querySelector('[data-placeholder="backups"]')) return;
  try {
    const res = await fetch('/v1/backups', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    const status = (await res.json()) as { jobs?: unknown[] };
    if ((status.jobs?.length ?? 0) > 0) location.reload();
  } catch {
    // the next reload event tries again
  }
}

function follow(): void {
  // EventSource reconnects by itself (with Last-Event-ID); the page is grey meanwhile.
  const stream = new EventSource('/v1/events/stream');
  stream.onopen = () => {
    setLive(true);
    void refreshTiles();
  };
  stream.onmessage = (message) => {
    let record: EventRecord;
    try {
      record = JSON.parse(message.data) as EventRecord;
      addEvent(events, record);
    } catch {
      return;
    }
    freshness.mark(timelineAsOf);
    void refreshTiles();
    if (record.type === 'reload') void showAddedBackups();
  };
  stream.onerror = () => {
    setLive(false);
    // A refused stream (401 after a daemon restart forgot the session) is not retried by the
    // browser: try again ourselves; refreshTiles sends a logged-out browser to the login page.
    if (stream.readyState === EventSource.CLOSED) {
      setTimeout(() => {
        void refreshTiles();
        follow();
      }, 3000);
    }
  };
}

for (const tile of tiles.querySelectorAll('.tile, .peer-summary')) freshness.mark(tile);
setInterval(() => {
  if (live) freshness.mark(timelineAsOf);
  freshness.tick();
}, 1000);
setInterval(() => {
  if (live) void refreshTiles();
}, REFRESH_MS);
wireActions(() => void refreshTiles());
document.getElementById('logout')?.addEventListener('click', () => {
  void post('/ui/logout', {}).finally(() => location.assign('/ui/login'));
});
follow();
