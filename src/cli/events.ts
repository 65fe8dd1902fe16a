/** `hotstandby events`: the daemon's event log (transitions, checks, hooks, reloads), optionally followed. */
import { CLIENT_EXIT, CLIENT_EXIT_HELP, exitCodeFor, followEvents, getJson } from '../api/control-client.js';
import { controlSocketPath } from '../api/control-socket.js';
import type { EventRecord } from '../api/daemon-control.js';
import { parseClientCommand } from './client-command.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';

const HELP = `usage: hotstandby events [--since N] [--follow] [--json] [--runtime-dir DIR]

Prints the events the daemon kept (oldest first): state transitions with their reason, health
check changes, notify hook results, reloads, maintenance.

  --since N       only events after sequence number N
  -f, --follow    keep printing new events until interrupted (Ctrl-C)
  --json          one JSON object per line
  --runtime-dir   where the daemon's control socket is (default ${DEFAULT_RUNTIME_DIR})

${CLIENT_EXIT_HELP}
With --follow: 0 after Ctrl-C / SIGTERM, 69 when the daemon stops.`;

export async function runEventsCommand(argv: string[]): Promise<number> {
  const parsed = parseClientCommand(argv, {
    name: 'events',
    help: HELP,
    options: {
      since: { type: 'string' },
      follow: { type: 'boolean', short: 'f', default: false },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, usage } = parsed;
  let since: number | undefined;
  if (values.since !== undefined) {
    if (!/^\d+$/.test(values.since)) return usage(`--since must be a non-negative integer, got '${values.since}'`);
    since = Number(values.since);
  }
  const print = (event: EventRecord): void => {
    process.stdout.write(`${values.json ? JSON.stringify(event) : formatEvent(event)}\n`);
  };
  const socket = controlSocketPath(values['runtime-dir']);
  try {
    if (!values.follow) {
      const query = since === undefined ? '' : `?since=${since}`;
      const { events } = (await getJson(socket, `/v1/events${query}`)) as { events: EventRecord[] };
      for (const event of events) print(event);
      return CLIENT_EXIT.ok;
    }
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const outcome = await followEvents(socket, { ...(since !== undefined ? { since } : {}), onEvent: print, signal: stop.signal });
      if (outcome === 'aborted') return CLIENT_EXIT.ok;
      console.error('hotstandby events: the daemon closed the stream (stopped?)');
      return CLIENT_EXIT.unavailable;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } catch (err) {
    console.error(`hotstandby events: ${(err as Error).message}`);
    return exitCodeFor(err);
  }
}

/** "2025-01-01T10:00:00.000Z  #12 transition  web  BACKUP → MASTER  reason=..." */
export function formatEvent(event: EventRecord): string {
  const fields = Object.entries(event.fields ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) && value !== '' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${event.time}  #${event.seq} ${event.type.padEnd(11)} ${(event.instance ?? '-').padEnd(10)} ${event.message}${fields ? `  ${fields}` : ''}`;
}
