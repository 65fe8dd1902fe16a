/**
 * A reload checked against the host before anything changes, as a start would check it: the
 * interfaces and addresses are read again (an instance's source address may have changed, an
 * interface may have appeared or gone), scripts are checked again (enable_script_security), and
 * each changed global setting is applied or refuses the reload (reload-globals.ts). A changed
 * processPriority is set at commit, the way the daemon set it at start (process-priority.ts).
 */
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig } from '../config/model.js';
import type { ReloadPreparation } from './controller.js';
import type { HostNetwork } from './host-network.js';
import type { InstanceFactory } from './instance-factory.js';
import type { Notifications } from './notifications.js';
import { planGlobals } from './reload-globals.js';
import type { Backups } from '../backup/jobs/backups.js';
import type { Resources } from '../resources/resources.js';

export interface ReloadCheckDeps {
  network: Pick<HostNetwork, 'refresh'>;
  instances: Pick<InstanceFactory, 'placementChanges' | 'useConfig'>;
  notifications: Pick<Notifications, 'prepare'>;
  validateScripts(config: HotstandbyConfig): Promise<void>;
  /** Role-following resources: refuse or plan their changes (src/resources/resources.ts). */
  resources?: Pick<Resources, 'prepare'>;
  /** The backup jobs: added, removed and changed ones checked, then switched over (src/backup/jobs/backups.ts). */
  backups?: Pick<Backups, 'prepare'>;
  /**
   * Sets the daemon's own priority to a changed processPriority and logs what it did
   * (DaemonPriority.change). Called at commit, only when the value changed. Never throws.
   */
  setPriority?(nice: number): void;
}

export function reloadCheck(deps: ReloadCheckDeps): (next: HotstandbyConfig, current: HotstandbyConfig) => Promise<ReloadPreparation> {
  return async (next, current) => {
    const globals = planGlobals(current.global, next.global);
    if (globals.refused.length > 0) throw new ConfigError(globals.refused.join('; '));
    const backups = await deps.backups?.prepare(next);
    await deps.validateScripts(next);
    try {
      await deps.network.refresh();
    } catch (err) {
      throw new Error(`cannot read the interfaces and addresses: ${(err as Error).message}`);
    }
    const rebuild = deps.instances.placementChanges(next);
    // Last: what it opens (a new notify FIFO) is only used once the reload goes ahead.
    const resources = await deps.resources?.prepare(next);
    const notify = await deps.notifications.prepare(next.global);
    return {
      rebuild,
      changes: [...globals.changes, ...(resources?.changes ?? []), ...(backups?.changes ?? [])],
      commit() {
        deps.instances.useConfig(next);
        notify.apply();
        resources?.apply();
        backups?.apply();
        if (next.global.processPriority !== current.global.processPriority) deps.setPriority?.(next.global.processPriority);
      },
    };
  };
}
