/**
 * The composition root: the only place that builds real implementations (native sockets and
 * timers, rtnetlink, checks, hooks, the control socket) and wires them to the controller.
 * Everything it builds is closed again by stop(), also when start-up fails half way.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { createControlApi } from '../api/control-api.js';
import { closeServer, controlSocketPath, listenControlSocket } from '../api/control-socket.js';
import type { DaemonControl } from '../api/daemon-control.js';
import { CheckSet, needsProcessWatcher } from '../check/check-set.js';
import { ProcessWatcher } from '../check/process-watcher.js';
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, InstanceConfig, LoadedConfig } from '../config/model.js';
import { buildGratuitousArp } from '../net/arp.js';
import { loadNative } from '../net/native.js';
import { buildUnsolicitedNeighbourAdvert } from '../net/neighbour-advert.js';
import type { AddressInfo } from '../net/netlink/address.js';
import type { LinkInfo } from '../net/netlink/link.js';
import { RtNetlink } from '../net/netlink/rtnetlink.js';
import { openPacketSender, type PacketSender } from '../net/packet-socket.js';
import { openVrrpTransport, type VrrpTransport } from '../net/vrrp-socket.js';
import { NotifyDispatcher, NotifyFifo } from '../notify/index.js';
import type { DropReason } from '../vrrp/drop-reason.js';
import { parseIp } from '../vrrp/ip-address.js';
import { AdvertDispatcher } from './advert-dispatcher.js';
import { ScheduledAnnouncer } from './announcer.js';
import { Controller, type ManagedInstance } from './controller.js';
import { EventLog } from './event-log.js';
import { InstanceRunner } from './instance-runner.js';
import { limitRepeats } from './logger.js';
import type { Logger } from '../ports/index.js';
import { PreciseTime } from './real-time.js';
import { sdNotify } from './sd-notify.js';
import { rehearseTakeover } from './takeover-rehearsal.js';
import { validateScripts } from './script-validation.js';
import { AddressVipHolder, type ResolvedVip } from './vip-holder.js';
import { FileVipLedger } from './vip-ledger.js';

export interface DaemonOptions {
  /** Reads and validates the configuration file (at start and on every reload). */
  loadConfig: () => Promise<LoadedConfig>;
  runtimeDir: string;
  log: Logger;
}

export interface RunningDaemon {
  control: DaemonControl;
  /** Leaves service cleanly: priority 0 from masters, VIPs removed, hooks run, sockets closed. Idempotent. */
  stop(): Promise<void>;
}

export const PID_FILE_NAME = 'hotstandby.pid';

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { runtimeDir } = options;
  const log = limitRepeats(options.log);
  const closers: Array<() => void | Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log.log('warn', 'error while closing', { error: String(err) });
      }
    }
    closers.length = 0;
  };
  try {
    const loaded = await options.loadConfig();
    for (const warning of loaded.warnings) log.log('warn', `${warning.source.file}:${warning.source.line}: ${warning.message}`);
    const config = loaded.config;
    await validateScripts(config);
    await claimRuntimeDir(runtimeDir, closers);
    const addedVips = FileVipLedger.open(runtimeDir);
    closers.push(() => addedVips.close());
    const native = loadNative();
    const time = new PreciseTime(
      (onFire) => new native.PreciseTimer(onFire),
      (err) => log.log('error', 'timer callback failed', { error: String(err) }),
    );
    // A backup's timer may not fire until its first takeover: let it fire a few times now, so
    // that path is compiled by then (see takeover-rehearsal.ts).
    for (let i = 1; i <= 3; i++) time.at(time.now() + i, () => undefined);
    closers.push(() => time.close());
    const wallClock = () => new Date();
    const netlink = RtNetlink.open(native);
    closers.push(() => netlink.close());
    const events = new EventLog({ wallClock, log });
    const fifo = config.global.notifyFifo !== undefined ? await NotifyFifo.open(config.global.notifyFifo, log) : undefined;
    if (fifo) closers.push(() => fifo.close());
    const notify = new NotifyDispatcher({
      log,
      events,
      clock: time,
      ...(config.global.scriptUser !== undefined ? { scriptUser: config.global.scriptUser } : {}),
      ...(fifo ? { fifo } : {}),
    });
    const processWatcher = needsProcessWatcher(config.checks) ? ProcessWatcher.open(native, { clock: time, timers: time, log }) : undefined;
    if (processWatcher) closers.push(() => processWatcher.close());

    const linkState = new Map<number, LinkInfo>();
    let controller: Controller | undefined;
    let checkSet: CheckSet | undefined;
    // Subscribe before the first dump so no change falls between the two.
    netlink.onLink((link, change) => {
      if (change === 'del') linkState.delete(link.index);
      else linkState.set(link.index, link);
      checkSet?.notifyLinkChange(link.name, link.up && link.carrier);
      controller?.linksChanged();
    });
    const holders: AddressVipHolder[] = [];
    netlink.onAddress((address, change) => {
      if (change !== 'del') return;
      for (const holder of holders) holder.restoreIfOurs(address.index, address.address);
    });
    netlink.onError((err) => log.log('error', 'netlink error', { error: err.message }));
    for (const link of await netlink.links()) linkState.set(link.index, link);
    const addresses = await netlink.addresses();
    const linkNamed = (name: string) => [...linkState.values()].find((l) => l.name === name);

    const groups = new Map<string, { dispatcher: AdvertDispatcher; transport: VrrpTransport; name: string }>();
    const packetSenders = new Map<number, PacketSender>();
    const groupFor = (instance: InstanceConfig, link: LinkInfo, source: string) => {
      const key = `${link.index}/${instance.family}/${source}`;
      let group = groups.get(key);
      if (group === undefined) {
        const transport = openVrrpTransport(
          {
            family: instance.family,
            interfaceName: link.name,
            ifindex: link.index,
            sourceAddress: source,
            multicastGroup: instance.family === 4 ? config.global.multicastGroup4 : config.global.multicastGroup6,
            unicastPeers: instance.unicastPeers,
            unicastTtl: instance.unicastTtl,
          },
          native,
        );
        closers.push(() => transport.close());
        const dispatcher = new AdvertDispatcher(new Set([source]), time, log.child({ iface: link.name }));
        transport.onPacket((payload, info) => dispatcher.handle(payload, info));
        transport.onError((err) => log.log('warn', 'VRRP socket error', { iface: link.name, error: err.message }));
        group = { dispatcher, transport, name: `${link.name}/ipv${instance.family}` };
        groups.set(key, group);
      }
      return group;
    };
    const packetSender = (ifindex: number) => {
      let sender = packetSenders.get(ifindex);
      if (sender === undefined) {
        sender = openPacketSender(ifindex, native);
        const opened = sender;
        closers.push(() => opened.close());
        packetSenders.set(ifindex, sender);
      }
      return sender;
    };

    const buildInstance = (instance: InstanceConfig): ManagedInstance => {
      const ilog = log.child({ instance: instance.name, vrid: instance.vrid, iface: instance.interface });
      const link = requireLink(linkNamed(instance.interface), instance.interface, instance);
      const source = sourceAddress(instance, link, addresses, config);
      const group = groupFor(instance, link, source);
      const resolved = instance.vips.map((vip): ResolvedVip => ({ config: vip, ifindex: requireLink(linkNamed(vip.device), vip.device, instance).index }));
      const vips = new AddressVipHolder(resolved, netlink, ilog, addedVips);
      holders.push(vips);
      const frames = resolved.map((vip) => ({ sender: packetSender(vip.ifindex), frame: announcementFrame(vip, linkState.get(vip.ifindex)) }));
      const announcer = new ScheduledAnnouncer(instance.garp, time, time, () => {
        let sent = 0;
        for (const { sender, frame } of frames) if (sendSafely(() => sender.send(frame), ilog, 'gratuitous ARP / NA')) sent++;
        return sent;
      }, instance.lowerPriority);
      const transport = group.transport;
      rehearseTakeover(instance, { text: source, bytes: parseIp(source).bytes }, resolved);
      const runner: InstanceRunner = new InstanceRunner(
        instance,
        { text: source, bytes: parseIp(source).bytes },
        {
          clock: time,
          wallClock,
          timers: time,
          sender: { send: (payload, destination) => sendSafely(() => transport.send(payload, destination), ilog, 'advert') },
          vips,
          announcer,
          log: ilog,
          onTransition: (record) => {
            notify.instanceChanged(runner.config, record.to === 'INIT' ? 'STOP' : record.to, runner.status().effectivePriority);
            controller?.transitioned(record);
          },
          onLowerPriority: () => notify.masterHeardLowerPriority(runner.config, runner.status().effectivePriority),
        },
      );
      group.dispatcher.add(runner);
      return {
        runner,
        settled: () => vips.settled(),
        dispose: () => {
          group.dispatcher.remove(runner);
          holders.splice(holders.indexOf(vips), 1);
        },
      };
    };

    controller = new Controller(config, {
      log,
      events,
      buildInstance,
      buildChecks: (checks) => {
        checkSet = new CheckSet(checks, {
          clock: time,
          timers: time,
          log,
          wallClock,
          watchPid: (pid, onExit) => new native.PidWatch(pid, onExit),
          ...(processWatcher ? { processEvents: processWatcher } : {}),
        });
        return checkSet;
      },
      loadConfig: options.loadConfig,
      linkUp: (name) => {
        const link = linkNamed(name);
        return link !== undefined && link.up && link.carrier;
      },
      unmatchedDrops: () => {
        const drops: Record<string, Record<DropReason, number>> = {};
        for (const group of groups.values()) drops[group.name] = group.dispatcher.unmatchedDrops;
        return drops;
      },
      groupChanged: (group, state) => notify.groupChanged(group, state),
    });
    const running = controller;
    closers.push(async () => {
      // Hooks for STOP get a moment to run (keepalived waits too), then are ended.
      await Promise.race([notify.idle(), new Promise((resolve) => setTimeout(resolve, 1000))]);
      await notify.close();
    });
    const startup = () => running.start();
    if (config.global.startupDelayMs > 0) {
      log.log('info', `waiting ${config.global.startupDelayMs} ms before starting (vrrp_startup_delay)`);
      const timer = setTimeout(startup, config.global.startupDelayMs);
      closers.push(() => clearTimeout(timer));
    } else startup();

    const api = createControlApi(running, { log });
    const server: Server = await listenControlSocket(api, controlSocketPath(runtimeDir));
    closers.push(async () => {
      api.close();
      await closeServer(server);
      await rm(controlSocketPath(runtimeDir), { force: true });
    });
    log.log('info', 'hotstandby running', { instances: config.instances.length, runtimeDir });
    // systemd Type=notify: ready once the control socket answers; nothing to do elsewhere.
    const notifySystemd = (state: string) => {
      try {
        sdNotify(state, native);
      } catch (err) {
        log.log('warn', 'cannot notify systemd', { error: (err as Error).message });
      }
    };
    notifySystemd(`READY=1\nSTATUS=${config.instances.length} instance(s) running`);

    let stopping: Promise<void> | undefined;
    return {
      control: running,
      stop() {
        stopping ??= (async () => {
          notifySystemd('STOPPING=1');
          await running.stop();
          await closeAll();
          log.log('info', 'hotstandby stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * A send that fails (interface down: ENETDOWN, ENETUNREACH) is a counted failure, never an
 * exception through the protocol: the state change that wanted it must still complete.
 */
function sendSafely(send: () => boolean, log: Logger, what: string): boolean {
  try {
    return send();
  } catch (err) {
    log.log('warn', `cannot send ${what}`, { error: (err as Error).message });
    return false;
  }
}

/** One daemon per runtime directory: a live pid in the pid file means another one owns it. */
async function claimRuntimeDir(runtimeDir: string, closers: Array<() => void | Promise<void>>): Promise<void> {
  await mkdir(runtimeDir, { recursive: true, mode: 0o755 });
  const pidFile = join(runtimeDir, PID_FILE_NAME);
  const previous = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(previous) && previous > 0 && previous !== process.pid && processAlive(previous)) {
    throw new Error(`another hotstandby (pid ${previous}) is running with runtime directory ${runtimeDir}`);
  }
  await writeFile(pidFile, `${process.pid}\n`, { mode: 0o644 });
  closers.push(() => rm(pidFile, { force: true }));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function requireLink(link: LinkInfo | undefined, name: string, instance: InstanceConfig): LinkInfo {
  if (link === undefined) {
    throw new ConfigError(`interface '${name}' does not exist on this host`, instance.source, 'interface');
  }
  return link;
}

/** The address adverts are sent from: unicast_src_ip, else the primary IPv4 / the IPv6 link-local. */
function sourceAddress(instance: InstanceConfig, link: LinkInfo, addresses: AddressInfo[], config: HotstandbyConfig): string {
  if (instance.unicastSourceAddress !== undefined) return instance.unicastSourceAddress;
  const vips = new Set(config.instances.flatMap((i) => i.vips.map((v) => v.address)));
  const candidates = addresses.filter((a) => a.index === link.index && a.family === instance.family && !vips.has(a.address));
  const chosen =
    instance.family === 4
      ? candidates.find((a) => !a.flags.secondary)
      : candidates.find((a) => a.address.toLowerCase().startsWith('fe80:') && !a.flags.tentative);
  if (chosen === undefined) {
    const what = instance.family === 4 ? 'an IPv4 address' : 'a usable IPv6 link-local address';
    throw new ConfigError(`interface '${link.name}' has no ${what} to send adverts from`, instance.source, 'interface');
  }
  return chosen.address;
}

function announcementFrame(vip: ResolvedVip, link: LinkInfo | undefined): Buffer {
  const mac = link?.mac ?? '00:00:00:00:00:00';
  return vip.config.family === 4
    ? buildGratuitousArp(mac, vip.config.address)
    : buildUnsolicitedNeighbourAdvert({ mac, address: vip.config.address });
}
