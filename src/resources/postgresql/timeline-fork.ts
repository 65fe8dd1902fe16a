/**
 * Two nodes promoted to the same timeline ID during a split (each from the last timeline they
 * shared) hold different histories under one number. pg_rewind compares timeline IDs only, so it
 * answers "no rewind required" and the standby then cannot stream (or replays WAL that is not its
 * own). The timeline history files tell them apart: `<TLI>.history` records where each timeline
 * branched off (PostgreSQL docs, "Timelines", §26.3.5); the same ID with a different file is a fork.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Session } from './sql.js';

const HISTORY = /^([0-9A-F]{8})\.history$/;

export interface TimelineHistory {
  readonly timeline: number;
  readonly text: string;
}

/** The newest timeline history file in a (stopped) data directory, or undefined (timeline 1 has none). */
export async function newestLocalHistory(dataDir: string): Promise<TimelineHistory | undefined> {
  const names = await readdir(join(dataDir, 'pg_wal')).catch(() => [] as string[]);
  let newest: string | undefined;
  for (const name of names) if (HISTORY.test(name) && (newest === undefined || name > newest)) newest = name;
  if (newest === undefined) return undefined;
  return { timeline: parseInt(newest.slice(0, 8), 16), text: await readFile(join(dataDir, 'pg_wal', newest), 'utf8') };
}

/** The peer's history file of `timeline` (pg_read_file: the daemon's superuser), undefined when it has none. */
export async function peerHistory(session: Session, timeline: number): Promise<string | undefined> {
  const name = `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
  const rows = await session.query("SELECT pg_read_file('pg_wal/' || $1, 0, 1048576, true) AS text", [name]);
  const text = rows[0]?.['text'];
  return typeof text === 'string' ? text : undefined;
}

/** Both sides have a history for the same timeline ID and they differ: the timeline forked. Pure. */
export function forkedOnSameTimeline(local: TimelineHistory | undefined, peerText: string | undefined): boolean {
  if (local === undefined || peerText === undefined) return false;
  return normalise(local.text) !== normalise(peerText);
}

function normalise(text: string): string {
  return text.replace(/\r\n/g, '\n').trim();
}
