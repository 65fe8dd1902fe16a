/**
 * The database system identifier of this cluster (pg_controldata) and of the peer's
 * (pg_control_system()): equal when both descend from one initdb. A re-clone that would replace
 * another cluster's data is refused (DRBD's lesson: recognise a split, do not guess).
 */
import type { PgPrograms } from './commands.js';
import type { PostgresqlSettings } from './settings.js';
import { withSession, type Endpoint } from './sql.js';

export async function systemIdentifiers(s: PostgresqlSettings, programs: PgPrograms, peer: Endpoint | undefined, signal: AbortSignal): Promise<{ local?: string; peer?: string }> {
  const out: { local?: string; peer?: string } = {};
  const control = await programs.run('pg_controldata', ['-D', s.dataDir], signal).catch(() => undefined);
  const local = control && /Database system identifier:\s*(\d+)/.exec(control.stdout)?.[1];
  if (local) out.local = local;
  if (peer !== undefined) {
    const rows = await withSession(peer, signal, (session) => session.query('SELECT system_identifier::text AS id FROM pg_control_system()')).catch(() => []);
    const id = rows[0]?.['id'];
    if (typeof id === 'string') out.peer = id;
  }
  return out;
}
