/**
 * The failover timeline: events from the daemon's log, newest first, one line each.
 */
export interface EventRecord {
  seq: number;
  time: string;
  type: string;
  instance?: string;
  message: string;
  /** Resource operations carry { resource, operation, result, durationMs }. */
  fields?: Record<string, unknown>;
}

const MAX_SHOWN = 300;

export function addEvent(list: HTMLOListElement, event: EventRecord): void {
  const item = document.createElement('li');
  item.className = `ev-${event.type}`;
  item.dataset.seq = String(event.seq);
  // A resource operation's result (ok, failed, timeout, aborted; 'changed' for health) is marked.
  const result = event.fields?.['result'];
  if (typeof result === 'string' && /^[a-z]+$/.test(result)) {
    item.dataset.result = result;
    if (result !== 'ok' && result !== 'changed') item.classList.add('ev-failed');
  }
  // A raised alarm (replication lag) stands out; its clearing does not.
  if (event.fields?.['alarm'] === 'raised') item.classList.add('ev-alarm');
  const cell = (cls: string, text: string): void => {
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    item.append(span);
  };
  const time = new Date(event.time);
  cell('ev-time', Number.isNaN(time.getTime()) ? event.time : time.toLocaleTimeString());
  cell('ev-type', event.type);
  cell('ev-message', event.instance ? `${event.instance}: ${event.message}` : event.message);
  item.title = event.time;
  list.prepend(item);
  while (list.children.length > MAX_SHOWN) list.lastElementChild?.remove();
}
