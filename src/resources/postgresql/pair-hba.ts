/**
 * The pg_hba.conf block `bootstrap: initdb` writes (PostgreSQL docs 21.1; first match wins, so it
 * goes first): the daemon's local peer-map line, and the peer's replication and superuser lines.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunAs } from './commands.js';
import { replaceFile } from './conf-files.js';
import type { PostgresqlSettings } from './settings.js';

/** pg_hba.conf lines a pair needs, placed before initdb's own (first match wins). */
export function pairHbaLines(s: PostgresqlSettings, peerHost: string | undefined): string[] {
  const lines = [`local all ${s.superuser} peer map=hotstandby`];
  if (peerHost !== undefined) {
    const cidr = peerHost.includes(':') ? `${peerHost}/128` : `${peerHost}/32`;
    lines.push(`host replication ${s.replicationUser} ${cidr} scram-sha-256`, `host all ${s.superuser} ${cidr} scram-sha-256`);
  }
  return lines;
}

export const PAIR_MARK = '# hotstandby (bootstrap: initdb)';

/** pg_hba.conf with the pair block (marked) naming `peerHost`; text without the mark is returned as it is. */
export function repointPairBlock(text: string, lines: readonly string[]): string {
  const start = text.indexOf(`${PAIR_MARK}\n`);
  if (start < 0) return text;
  const bodyStart = start + PAIR_MARK.length + 1;
  const end = text.indexOf('\n\n', bodyStart);
  return `${text.slice(0, bodyStart)}${lines.join('\n')}${end < 0 ? '\n' : text.slice(end)}`;
}

/**
 * After a clone the node holds the primary's pg_hba.conf, whose pair block names the primary's
 * peer (this node itself): point it at this node's peer, so that the primary can stream from
 * here after a failover. Only the block `bootstrap: initdb` wrote is touched.
 */
export async function adoptPairHba(s: PostgresqlSettings, peerHost: string | undefined, owner: RunAs): Promise<void> {
  const hba = join(s.dataDir, 'pg_hba.conf');
  const text = await readFile(hba, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const next = repointPairBlock(text, pairHbaLines(s, peerHost));
  if (next !== text) await replaceFile(hba, next, owner);
}
