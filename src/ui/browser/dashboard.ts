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

function follow(): void {
  // EventSource reconnects by itself (with Last-Event-ID); the page is grey meanwhile.
  const stream = new EventSource('/v1/events/stream');
  stream.onopen = () => {
    setLive(true);
    void refreshTiles();
  };
  stream.onmessage = (message) => {
    try {
      addEvent(events, JSON.parse(message.data) as EventRecord);
    } catch {
      return;
    }
    freshness.mark(timelineAsOf);
    void refreshTiles();
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
