/**
 * What a reload does to the backup jobs (keepalived's way: the old and new configuration are
 * diffed and running state migrates, so a job that did not change never notices). Pure: the
 * runner (backups.ts) carries the plan out.
 *
 * - added: built with the role state the daemon already knows of what it follows.
 * - removed: a run or verification under way is stopped (its worker killed, the repository left
 *   as a kill -9 leaves it — consistent — and its now stale lock removed).
 * - changed: the new definition replaces the old one; a run under way finishes under the old
 *   definition and the new one takes over when it ends. The latest snapshot time, the last run
 *   and the alarms carry over, unless the repositories changed: then they are read again.
 */
import type { BackupJobConfig, BackupsConfig } from '../../config/backups.js';

export interface BackupsReloadPlan {
  added: BackupJobConfig[];
  removed: string[];
  changed: { config: BackupJobConfig; what: string[]; repositoriesChanged: boolean }[];
  /** peerHostname changed. */
  peerHostname: { from: string | undefined; to: string | undefined } | undefined;
  /** One sentence per change, for the reload's event. */
  describe(): string[];
}

/** The keys of a job compared on reload (everything but where it is written in the file). */
const KEYS = ['follows', 'role', 'paths', 'excludes', 'command', 'commandUser', 'stdinFilename', 'repositories', 'schedule', 'timezone', 'missedAfterMs', 'retryMs', 'tags', 'retention', 'verify'] as const satisfies readonly (keyof BackupJobConfig)[];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The keys that differ between two definitions of a job, in KEYS order. */
export function jobChanges(from: BackupJobConfig, to: BackupJobConfig): string[] {
  return KEYS.filter((k) => !same(from[k], to[k]));
}

export function planBackupsReload(current: BackupsConfig | undefined, next: BackupsConfig | undefined): BackupsReloadPlan {
  const before = new Map((current?.jobs ?? []).map((j) => [j.name, j]));
  const after = new Map((next?.jobs ?? []).map((j) => [j.name, j]));
  const added = [...after.values()].filter((j) => !before.has(j.name));
  const removed = [...before.keys()].filter((n) => !after.has(n));
  const changed: BackupsReloadPlan['changed'] = [];
  for (const [name, to] of after) {
    const from = before.get(name);
    if (!from) continue;
    const what = jobChanges(from, to);
    if (what.length) changed.push({ config: to, what, repositoriesChanged: what.includes('repositories') });
  }
  const peerHostname = current?.peerHostname !== next?.peerHostname ? { from: current?.peerHostname, to: next?.peerHostname } : undefined;
  return {
    added,
    removed,
    changed,
    peerHostname,
    describe: () => [
      ...added.map((j) => `backup job ${j.name} added`),
      ...removed.map((n) => `backup job ${n} removed`),
      ...changed.map((c) => `backup job ${c.config.name} changed (${c.what.join(', ')})`),
      ...(peerHostname ? [`backups.peerHostname ${peerHostname.from ?? '(none)'} → ${peerHostname.to ?? '(none)'}`] : []),
    ],
  };
}
