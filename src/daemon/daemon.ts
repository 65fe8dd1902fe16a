/**
 * The composition root: the only place that builds real implementations and wires them. Each
 * subsystem comes from its own module with its own ports; each is built before anything that
 * notifies it, then subscribed, so nothing is forward-declared. Everything built is owned by one
 * Lifecycle and closed in reverse order by stop(), also when start-up fails half way.
 * How to add a subsystem: src/daemon/README.md.
 */
import { rm } from 'node:fs/promises';
import { createControlApi } from '../api/control-api.js';
import { boundPort, closeServer, controlSocketPath, listenControlSocket } from '../api/control-socket.js';
import type { DaemonControl } from '../api/daemon-control.js';
import { listenWeb } from '../api/web-listener.js';
import type { LoadedConfig } from '../config/model.js';
import type { WebListenerConfig } from '../config/web-listener.js';
import { loadNative, type NativeBinding } from '../net/native.js';
import type { Logger } from '../ports/index.js';
import { logPriorityOutcome, type DaemonPriority } from './process-priority.js';
import { PeerPoller } from '../ui/peer/peer-poller.js';
import type { PeerSource } from '../ui/peer-view.js';
import { dashboardRoutes } from '../ui/routes.js';
import { healthRoutes } from '../api/health-routes.js';
import type { Route } from '../api/router.js';
import { postgresqlHealthViews } from '../resources/postgresql/health-views.js';
import { backupRoutes } from '../api/backup-routes.js';
import type { Backups } from '../backup/jobs/backups.js';
import { buildBackups } from './backup-jobs.js';
import { Checks } from './checks.js';
import { Controller } from './controller.js';
import { EventLog } from './event-log.js';
import { HostNetwork } from './host-network.js';
import { InstanceFactory } from './instance-factory.js';
import { Lifecycle } from './lifecycle.js';
import { limitRepeats } from './logger.js';
import { releaseStartupPages } from './node-runtime.js';
import { Notifications } from './notifications.js';
import { PreciseTime } from './real-time.js';
import { LateTimerWarning, lateThresholdMs } from './late-timers.js';
import { reloadCheck } from './reload-check.js';
import { claimRuntimeDir } from './runtime-dir.js';
import { validateScripts } from './script-validation.js';
import { sdNotify } from './sd-notify.js';
import { SocketGroups } from './socket-groups.js';
import { FileVipLedger, VIP_LEDGER_FILE } from './vip-ledger.js';
import { removeLeftoverVips } from './refused-start.js';
import { RtNetlink } from '../net/netlink/rtnetlink.js';
import { AcceptModeFirewall } from './accept-mode.js';
import { Vmacs } from './vmac.js';
import { NfTables } from '../net/netlink/nftables-client.js';
import { openResources } from './resources.js';
import { VipGates } from './vip-gate.js';

export { PID_FILE_NAME } from './runtime-dir.js';

export interface DaemonOptions {
  /** Reads and validates the configuration file (at start and on every reload). */
  loadConfig: () => Promise<LoadedConfig>;
  runtimeDir: string;
  log: Logger;
  /**
   * The daemon's scheduling priority, raised before the daemon's modules load (src/cli/run.ts):
   * its `children` go to every subsystem that starts processes, and a reload that changes
   * processPriority applies it. Without it children run unchanged and a reload leaves the
   * priority as it is.
   */
  priority?: Pick<DaemonPriority, 'children' | 'change'>;
}

export interface RunningDaemon {
  control: DaemonControl;
  /** Leaves service cleanly: priority 0 from masters, VIPs removed, hooks run, sockets closed. Idempotent. */
  stop(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const log = limitRepeats(options.log);
  try {
    return await buildDaemon(options, log);
  } catch (err) {
    // A refused start still takes down the VIPs a killed earlier run left up (refused-start.ts).
    await removeLeftoverVips({ runtimeDir: options.runtimeDir, log, openTable: () => RtNetlink.open(loadNative()) });
    throw err;
  }
}

async function buildDaemon(options: DaemonOptions, log: Logger): Promise<RunningDaemon> {
  return Lifecycle.build(log, async (lifecycle) => {
    // The configuration, checked as far as it can be without the host.
    const loaded = await options.loadConfig();
    for (const warning of loaded.warnings) log.log('warn', `${warning.source.file}:${warning.source.line}: ${warning.message}`);
    const config = loaded.config;
    await validateScripts(config);
    const runtimeDir = lifecycle.adopt('pid file', await claimRuntimeDir(options.runtimeDir));

    // Shared ports: time, the event log, the host's network.
    const native = loadNative();
    const late = new LateTimerWarning(lateThresholdMs(config), { now: () => performance.now() }, log);
    const time = lifecycle.adopt('timers', preciseTime(native, log, late));
    const wallClock = () => new Date();
    const events = new EventLog({ wallClock, log });
    const network = lifecycle.adopt('network', await HostNetwork.open(native, log));
    // use_vmac interfaces and no_accept's nf_tables, before any instance is built on them.
    const vmacs = lifecycle.adopt('VMACs', new Vmacs(network.netlink, log));
    await vmacs.ensure(config.instances);
    await network.refresh();
    const firewall = lifecycle.adopt('no_accept firewall', new AcceptModeFirewall(() => NfTables.open(native), log));
    await firewall.prepare(config.instances);

    // Subsystems, each from its module. Data, backups and a dashboard go here (README.md).
    // Whatever starts processes starts them at the priority the daemon was started with.
    const childPriority = options.priority?.children;
    const notifications = lifecycle.adopt('notify hooks', await Notifications.open(config.global, { log, events, clock: time, timers: time, wallClock, childPriority }));
    const checks = lifecycle.adopt('checks', new Checks({ native, clock: time, timers: time, wallClock, log, childPriority }));
    const sockets = lifecycle.adopt('VRRP sockets', new SocketGroups(native, time, log));
    const addedVips = lifecycle.adopt('VIP record', FileVipLedger.open(runtimeDir.file(VIP_LEDGER_FILE)));
    const gates = new VipGates();
    const resources = lifecycle.adopt('resources', await openResources(config, { clock: time, timers: time, log, events, gates, stateRoot: runtimeDir.file('resources'), childPriority }));
    const backups = lifecycle.adopt('backup jobs', buildBackups(config, { clock: time, timers: time, log, events, childPriority }));
    const instances = new InstanceFactory(config, {
      gates,
      network,
      sockets,
      firewall,
      clock: time,
      timers: time,
      wallClock,
      log,
      addedVips,
      lowerPriorityHeard: (runner) => notifications.masterHeardLowerPriority(runner),
      addressClaimed: (runner, claimedBy, inMs) => notifications.addressClaimed(runner, claimedBy, inMs),
    });
    const controller = new Controller(config, {
      log,
      events,
      buildInstance: (instance) => instances.build(instance),
      buildChecks: (configs) => checks.build(configs),
      loadConfig: options.loadConfig,
      prepareReload: reloadCheck({
        network,
        instances,
        notifications,
        validateScripts,
        resources,
        backups,
        // A changed processPriority: the same path as at start; the original (children's) stays.
        setPriority: (nice) => {
          if (options.priority) logPriorityOutcome(options.priority.change(nice), log, 'scheduling priority (reload)');
          else log.log('warn', `processPriority ${nice} not applied: this daemon was started without a DaemonPriority (not by hotstandby run)`);
        },
      }),
      resources,
      linkUp: (name) => network.linkUp(name),
      unmatchedDrops: () => sockets.unmatchedDrops(),
      groupChanged: (group, state) => {
        notifications.groupChanged(group, state);
        backups.groupChanged(group.name, state);
      },
    });

    // Who hears of what (hooks before the controller, whose sync groups may cause more transitions).
    instances.onTransition((record, runner) => notifications.instanceChanged(record, runner));
    instances.onTransition((record) => controller.transitioned(record));
    instances.onTransition((record, runner) => resources.roleChanged(record.instance, () => runner.status()));
    resources.onPenaltyChange((names) => controller.resourcesChanged(names));
    resources.onPeerActive((names) => controller.peerActive(names));
    instances.onTransition((record) => backups.instanceChanged(record.instance, record.to, record.reason));
    network.onLinkChange((link) => checks.linkChanged(link));
    network.onLinkChange(() => controller.linksChanged());
    network.onAddressChange((address, change) => instances.addressChanged(address, change));

    // Start-up's pages go before the instances start, so that their takeover rehearsal maps back
    // what a takeover needs (node-runtime.ts).
    log.log('debug', 'start-up pages released', { kB: releaseStartupPages() });
    resources.start();
    startAfterDelay(controller, config.global.startupDelayMs, lifecycle, log);
    // The peer as it reports itself, for the dashboard (global.peerApi): asked on its own timers.
    const peerApi = config.global.peerApi;
    const peer = peerApi && lifecycle.adopt('peer API poller', new PeerPoller(peerApi, { clock: time, timers: time, wallClock, log }));
    peer?.start();
    const peerSource: PeerSource | undefined = peer && { snapshot: () => peer.snapshot(), now: () => time.now() };
    // Patroni-style health answers for load balancers, from the postgresql resources.
    const health = healthRoutes(() => postgresqlHealthViews(resources.drivers()), time);
    backups.start();
    // The backup routes, dashboard section and metrics are served whether or not jobs are configured
    // now: a reload may add the first ones (each answer reads the jobs of the moment).
    await serveControlApi(controller, runtimeDir.path, lifecycle, log, config.global.web, health, { peer: peerSource, backups });
    log.log('info', 'hotstandby running', { instances: config.instances.length, runtimeDir: runtimeDir.path });
    // systemd Type=notify: ready once the control socket answers.
    notifySystemd(native, log, `READY=1\nSTATUS=${config.instances.length} instance(s) running`);

    let stopping: Promise<void> | undefined;
    return {
      control: controller,
      stop() {
        stopping ??= (async () => {
          notifySystemd(native, log, 'STOPPING=1');
          await controller.stop();
          await lifecycle.closeAll();
          log.log('info', 'hotstandby stopped');
        })();
        return stopping;
      },
    };
  });
}

function preciseTime(native: NativeBinding, log: Logger, late: LateTimerWarning): PreciseTime {
  const time = new PreciseTime(
    (onFire) => new native.PreciseTimer(onFire),
    (err) => log.log('error', 'timer callback failed', { error: String(err) }),
    (lateMs) => late.report(lateMs),
  );
  // A backup's timer may not fire until its first takeover: let it fire a few times now, so
  // that path is compiled by then (see takeover-rehearsal.ts).
  for (let i = 1; i <= 3; i++) time.at(time.now() + i, () => undefined);
  return time;
}

/** keepalived vrrp_startup_delay: the instances start after it. */
function startAfterDelay(controller: Controller, delayMs: number, lifecycle: Lifecycle, log: Logger): void {
  if (delayMs <= 0) return controller.start();
  log.log('info', `waiting ${delayMs} ms before starting (vrrp_startup_delay)`);
  const timer = setTimeout(() => controller.start(), delayMs);
  lifecycle.onClose('startup delay', () => clearTimeout(timer));
}

/** The API and the dashboard on the unix socket, and on TCP when global.web says so. */
async function serveControlApi(control: DaemonControl, runtimeDir: string, lifecycle: Lifecycle, log: Logger, web: WebListenerConfig | undefined, extra: readonly Route[], seen: { peer: PeerSource | undefined; backups: Backups }): Promise<void> {
  const { peer, backups } = seen;
  const routes = [...dashboardRoutes(control, { ...(peer ? { peer } : {}), backups }), ...backupRoutes(backups), ...extra];
  const api = createControlApi(control, { log, routes, metrics: { backups: () => backups.status() } });
  const path = controlSocketPath(runtimeDir);
  const server = await listenControlSocket(api, path);
  lifecycle.onClose('control API', async () => {
    api.close();
    await closeServer(server);
    await rm(path, { force: true });
  });
  if (web === undefined) return;
  const tcp = await listenWeb(api, web);
  lifecycle.onClose('web listener', async () => {
    api.close(); // open event streams would hold the server open
    await closeServer(tcp);
  });
  log.log('info', 'control API and dashboard on TCP', { address: web.host, port: boundPort(tcp), tls: web.tls !== undefined });
}

function notifySystemd(native: NativeBinding, log: Logger, state: string): void {
  try {
    sdNotify(state, native);
  } catch (err) {
    log.log('warn', 'cannot notify systemd', { error: (err as Error).message });
  }
}
