/**
 * The composition root: the only place that builds real implementations (native sockets,
 * rtnetlink, the clock) and wires them to the instance runners. Everything it builds is closed
 * again by stop(), also when start-up fails half way.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { createControlApi, type DaemonStatus } from '../api/control-api.js';
import { controlSocketPath, listenControlSocket } from '../api/control-socket.js';
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, InstanceConfig } from '../config/model.js';
import { buildGratuitousArp } from '../net/arp.js';
import { loadNative } from '../net/native.js';
import { buildUnsolicitedNeighbourAdvert } from '../net/neighbour-advert.js';
import type { AddressInfo } from '../net/netlink/address.js';
import type { LinkInfo } from '../net/netlink/link.js';
import { RtNetlink } from '../net/netlink/rtnetlink.js';
import { openPacketSender, type PacketSender } from '../net/packet-socket.js';
import { openVrrpTransport, type VrrpTransport } from '../net/vrrp-socket.js';
import { parseIp } from '../vrrp/ip-address.js';
import type { DropReason } from '../vrrp/drop-reason.js';
import { AdvertDispatcher } from './advert-dispatcher.js';
import { ScheduledAnnouncer } from './announcer.js';
import { InstanceRunner } from './instance-runner.js';
import { trackedPriority } from './tracking.js';
import type { Logger } from './ports.js';
import { PreciseTime } from './real-time.js';
import { AddressVipHolder, type ResolvedVip } from './vip-holder.js';

export interface DaemonOptions {
  config: HotstandbyConfig;
  runtimeDir: string;
  log: Logger;
}

export interface RunningDaemon {
  status(): DaemonStatus;
  /** Leaves service cleanly: priority 0 from masters, VIPs removed, sockets closed. Idempotent. */
  stop(): Promise<void>;
}

interface Managed {
  runner: InstanceRunner;
  vips: AddressVipHolder;
  ifindex: number;
}

export const PID_FILE_NAME = 'hotstandby.pid';

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config, runtimeDir, log } = options;
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
    await claimRuntimeDir(runtimeDir, closers);
    const native = loadNative();
    const time = new PreciseTime(
      (onFire) => new native.PreciseTimer(onFire),
      (err) => log.log('error', 'timer callback failed', { error: String(err) }),
    );
    closers.push(() => time.close());
    const netlink = RtNetlink.open(native);
    closers.push(() => netlink.close());
    const managed: Managed[] = [];
    const linkState = new Map<number, LinkInfo>();
    // Subscribe before the first dump so no change falls between the two.
    netlink.onLink((link, change) => {
      if (change === 'del') linkState.delete(link.index);
      else linkState.set(link.index, link);
      applyLinkState(managed, linkState);
    });
    netlink.onAddress((address, change) => {
      if (change !== 'del') return;
      for (const m of managed) m.vips.restoreIfOurs(address.index, address.address);
    });
    netlink.onError((err) => log.log('error', 'netlink error', { error: err.message }));
    const links = await netlink.links();
    for (const link of links) linkState.set(link.index, link);
    const addresses = await netlink.addresses();

    const dispatchers = new Map<string, { dispatcher: AdvertDispatcher; transport: VrrpTransport; name: string }>();
    const packetSenders = new Map<number, PacketSender>();
    for (const instance of config.instances) {
      const ilog = log.child({ instance: instance.name, vrid: instance.vrid, iface: instance.interface });
      const link = findLink(links, instance.interface, instance);
      const source = sourceAddress(instance, link, addresses, config);
      const key = `${link.index}/${instance.family}/${source}`;
      let group = dispatchers.get(key);
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
        group = { dispatcher, transport, name: `${link.name}/ipv${instance.family}` };
        dispatchers.set(key, group);
      }
      const resolved = instance.vips.map((vip): ResolvedVip => ({ config: vip, ifindex: findLink(links, vip.device, instance).index }));
      const vips = new AddressVipHolder(resolved, netlink, ilog);
      const frames = resolved.map((vip) => ({ ifindex: vip.ifindex, frame: announcementFrame(vip, links) }));
      for (const { ifindex } of frames) {
        if (!packetSenders.has(ifindex)) {
          const sender = openPacketSender(ifindex, native);
          closers.push(() => sender.close());
          packetSenders.set(ifindex, sender);
        }
      }
      const announcer = new ScheduledAnnouncer(instance.garp, time, time, () => {
        let sent = 0;
        for (const { ifindex, frame } of frames) if (packetSenders.get(ifindex)?.send(frame)) sent++;
        return sent;
      });
      const transport = group.transport;
      const runner = new InstanceRunner(
        instance,
        { text: source, bytes: parseIp(source).bytes },
        {
          clock: time,
          wallClock: () => new Date(),
          timers: time,
          sender: { send: (payload, destination) => transport.send(payload, destination) },
          vips,
          announcer,
          log: ilog,
        },
      );
      group.dispatcher.add(runner);
      managed.push({ runner, vips, ifindex: link.index });
    }
    applyLinkState(managed, linkState);
    for (const m of managed) m.runner.start();

    const startedAt = new Date().toISOString();
    const status = (): DaemonStatus => {
      const unmatchedDrops: Record<string, Record<DropReason, number>> = {};
      for (const group of dispatchers.values()) unmatchedDrops[group.name] = group.dispatcher.unmatchedDrops;
      return { pid: process.pid, startedAt, instances: managed.map((m) => m.runner.status()), unmatchedDrops };
    };
    const server: Server = await listenControlSocket(createControlApi({ status }), controlSocketPath(runtimeDir));
    closers.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(controlSocketPath(runtimeDir), { force: true });
    });
    log.log('info', 'hotstandby running', { instances: managed.length, runtimeDir });

    let stopping: Promise<void> | undefined;
    return {
      status,
      stop() {
        stopping ??= (async () => {
          for (const m of managed) m.runner.stop();
          await Promise.all(managed.map((m) => m.vips.settled()));
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

function findLink(links: LinkInfo[], name: string, instance: InstanceConfig): LinkInfo {
  const link = links.find((l) => l.name === name);
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

function announcementFrame(vip: ResolvedVip, links: LinkInfo[]): Buffer {
  const link = links.find((l) => l.index === vip.ifindex);
  const mac = link?.mac ?? '00:00:00:00:00:00';
  return vip.config.family === 4
    ? buildGratuitousArp(mac, vip.config.address)
    : buildUnsolicitedNeighbourAdvert({ mac, address: vip.config.address });
}

/** Link down on an instance's interface is a fault; track_interface adds weights or faults. */
function applyLinkState(managed: Managed[], links: Map<number, LinkInfo>): void {
  const byName = new Map<string, LinkInfo>();
  for (const link of links.values()) byName.set(link.name, link);
  for (const m of managed) {
    const instance = m.runner.config;
    const own = links.get(m.ifindex);
    const ownUp = own !== undefined && own.up && own.carrier;
    m.runner.setFault('link', ownUp ? undefined : `${instance.interface} is down`);
    const tracked = trackedPriority(instance, (name) => {
      const link = byName.get(name);
      return link !== undefined && link.up && link.carrier;
    });
    m.runner.setFault('track_interface', tracked.fault);
    m.runner.setEffectivePriority(tracked.priority);
  }
}
