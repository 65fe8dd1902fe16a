/**
 * The backup jobs' wiring: builds the subsystem (src/backup/jobs/backups.ts) with real worker
 * processes and the daemon's ports; the composition root subscribes it to transitions.
 */
import { Backups } from '../backup/jobs/backups.js';
import { WorkerProcess } from '../backup/jobs/worker-client.js';
import { resolveScriptUser } from '../check/script-security.js';
import { ConfigError } from '../config/config-error.js';
import type { BackupsConfig } from '../config/backups.js';
import type { HotstandbyConfig } from '../config/model.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { EventLog } from './event-log.js';

export function buildBackups(config: HotstandbyConfig, deps: { clock: Clock; timers: Timers; log: Logger; events: EventLog }): Backups {
  const log = deps.log.child({ subsystem: 'backups' });
  return new Backups(config.backups, {
    clock: deps.clock,
    timers: deps.timers,
    wallClock: () => Date.now(),
    log,
    event: (e) => deps.events.append(e),
    startWorker: (name) => new WorkerProcess(log, name),
    resolveUser: async (user) => {
      const { uid, gid } = await resolveScriptUser(user);
      return { uid, gid };
    },
    syncGroups: config.syncGroups,
  });
}

/** Without source lines: moving a job in the file is not a change. */
const comparable = (b: BackupsConfig | undefined) => JSON.stringify(b ?? null, (key, value: unknown) => (key === 'source' ? undefined : value));

/** A reload may not change the backup jobs yet (they are built once): refused, naming the key. */
export function checkBackupsReload(next: HotstandbyConfig, current: HotstandbyConfig): void {
  if (comparable(next.backups) !== comparable(current.backups)) {
    throw new ConfigError('backups: the backup jobs changed; they are read at start only: restart the daemon (systemctl restart hotstandby) to use them');
  }
}
