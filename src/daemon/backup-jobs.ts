/**
 * The backup jobs' wiring: builds the subsystem (src/backup/jobs/backups.ts) with real worker
 * processes and the daemon's ports; the composition root subscribes it to transitions, and a
 * reload changes its jobs through reload-check.ts (Backups.prepare).
 */
import { Backups } from '../backup/jobs/backups.js';
import { WorkerProcess } from '../backup/jobs/worker-client.js';
import { resolveScriptUser } from '../check/script-security.js';
import type { HotstandbyConfig } from '../config/model.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';
import type { EventLog } from './event-log.js';

export function buildBackups(config: HotstandbyConfig, deps: { clock: Clock; timers: Timers; log: Logger; events: EventLog; childPriority?: ChildPriority }): Backups {
  const log = deps.log.child({ subsystem: 'backups' });
  return new Backups(config.backups, {
    clock: deps.clock,
    timers: deps.timers,
    wallClock: () => Date.now(),
    log,
    event: (e) => deps.events.append(e),
    startWorker: (name) => new WorkerProcess(log, name, deps.childPriority),
    resolveUser: async (user) => {
      const { uid, gid } = await resolveScriptUser(user);
      return { uid, gid };
    },
    syncGroups: config.syncGroups,
  });
}
