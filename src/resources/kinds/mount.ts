/**
 * `kind: mount`: a filesystem on shared storage, mounted on the master only.
 *
 * What protects it from a double mount:
 * - VRRP order: a node mounts only as MASTER (after its resources before it are promoted) and
 *   unmounts as soon as it is not; a failed unmount escalates to killing the filesystem's users
 *   and unmounting again (stop), then to the fence action (onStopFailure), FAULT meanwhile.
 * - On this host: promote refuses to mount when the device is already mounted anywhere this
 *   host can see (/proc/self/mountinfo, compared by device number for block devices, by source
 *   otherwise), or when something else is mounted on the mount point.
 * - Across hosts nothing here can see the other node's mounts: when the link between the nodes
 *   is cut, both may be MASTER. Use a filesystem that refuses a second mount by itself — ext4
 *   with multi-mount protection (`tune2fs -O mmp DEVICE`: a mount fails while another node has
 *   it mounted) — or a fence command (SCSI persistent reservations, a power switch) as
 *   onStopFailure, and a witness (docs/resources.md).
 */
import { stat } from 'node:fs/promises';
import type { MonitorResult, OperationContext, ResourceDriver, ResourceKind, ResourceSettings } from '../resource.js';
import { processRunner, runChecked, type CommandRunner } from './command.js';
import { deviceNumber, parseMountinfo, type MountEntry } from './mountinfo.js';
import { readFile } from 'node:fs/promises';

export interface MountSettings {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly options: string;
  /** A stop whose unmount is refused (busy) kills the filesystem's users (fuser -k -m) and tries again. */
  readonly killUsers: boolean;
}

/** What the driver reads of the host (the test's own mount namespace in tests). */
export interface MountHost {
  run: CommandRunner;
  mountinfo(): Promise<string>;
  /** "major:minor" of a block device, undefined when `path` is not one (a network source, tmpfs). */
  deviceNumber(path: string): Promise<string | undefined>;
}

export const mountKind: ResourceKind<MountSettings> = {
  kind: 'mount',
  doc: 'a filesystem mounted on the master only (shared storage)',
  fields: [
    { key: 'device', type: 'path or source', default: 'required', doc: 'what to mount: `/dev/disk/by-uuid/...`, `server:/export`, ...' },
    { key: 'mountPoint', type: 'absolute path', default: 'required', doc: 'where (an existing directory)' },
    { key: 'fsType', type: 'string', default: 'required', doc: '`ext4`, `xfs`, `nfs`, ...' },
    { key: 'options', type: 'string', default: '`defaults`', doc: 'mount -o options' },
    { key: 'killUsers', type: 'boolean', default: 'true', doc: 'a stop whose unmount is busy kills the processes using the filesystem (fuser -k -m) and unmounts again' },
  ],
  parse(settings: ResourceSettings): MountSettings {
    const device = settings.requireString('device');
    const mountPoint = settings.requireString('mountPoint');
    if (!mountPoint.startsWith('/') || mountPoint === '/') throw settings.error('mountPoint', `Expected an absolute path other than /, got "${mountPoint}"`);
    const fsType = settings.requireString('fsType');
    if (!/^[a-z0-9._-]+$/.test(fsType)) throw settings.error('fsType', `"${fsType}" is not a filesystem type`);
    return { device, mountPoint: mountPoint.replace(/\/+$/, ''), fsType, options: settings.string('options') ?? 'defaults', killUsers: settings.boolean('killUsers') ?? true };
  },
  create(settings, host) {
    return new MountDriver(settings, {
      run: processRunner(host.clock, { user: 'root' }, host.childPriority),
      mountinfo: () => readFile('/proc/self/mountinfo', 'utf8'),
      deviceNumber: blockDeviceNumber,
    });
  },
};

async function blockDeviceNumber(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path, { bigint: true });
    return info.isBlockDevice() ? deviceNumber(info.rdev) : undefined;
  } catch {
    return undefined;
  }
}

export class MountDriver implements ResourceDriver {
  readonly kind = 'mount';
  private shouldMount = false;

  constructor(
    private readonly settings: MountSettings,
    private readonly host: MountHost,
  ) {}

  /** Backup shape: not mounted here. */
  async start(ctx: OperationContext): Promise<void> {
    this.shouldMount = false;
    await this.unmount(ctx, false);
  }

  async promote(ctx: OperationContext): Promise<void> {
    this.shouldMount = true;
    const { ours, elsewhere, occupied } = await this.look();
    if (ours) return;
    if (elsewhere) throw new Error(`refusing to mount ${this.settings.device}: already mounted on ${elsewhere.mountPoint} on this host`);
    if (occupied) throw new Error(`refusing to mount on ${this.settings.mountPoint}: ${occupied.source} (${occupied.fsType}) is mounted there`);
    await runChecked(this.host.run, ['mount', '-t', this.settings.fsType, '-o', this.settings.options, this.settings.device, this.settings.mountPoint], { signal: ctx.signal });
  }

  async demote(ctx: OperationContext): Promise<void> {
    this.shouldMount = false;
    await this.unmount(ctx, false);
  }

  async stop(ctx: OperationContext): Promise<void> {
    this.shouldMount = false;
    await this.unmount(ctx, this.settings.killUsers);
  }

  async monitor(): Promise<MonitorResult> {
    const { ours, elsewhere } = await this.look();
    const where = `${this.settings.device} on ${this.settings.mountPoint}`;
    if (elsewhere) return { healthy: false, detail: `${this.settings.device} is mounted on ${elsewhere.mountPoint}` };
    if (Boolean(ours) === this.shouldMount) return { healthy: true, detail: ours ? `${where} mounted` : 'not mounted here' };
    return { healthy: false, detail: ours ? `${where} is mounted on a node that is not master` : `${where} is not mounted` };
  }

  describe(): Readonly<Record<string, unknown>> {
    return { device: this.settings.device, mountPoint: this.settings.mountPoint, shouldMount: this.shouldMount };
  }

  private async unmount(ctx: OperationContext, killUsers: boolean): Promise<void> {
    if (!(await this.look()).ours) return;
    const umount = ['umount', this.settings.mountPoint];
    const first = await this.host.run(umount, { signal: ctx.signal });
    if (first.exitCode === 0) return;
    if (!killUsers) throw new Error(`umount ${this.settings.mountPoint} failed (status ${first.exitCode}): ${first.output}`);
    ctx.log.log('warn', `unmount refused, killing the users of ${this.settings.mountPoint}`, { output: first.output });
    await this.host.run(['fuser', '-k', '-m', this.settings.mountPoint], { signal: ctx.signal });
    await runChecked(this.host.run, umount, { signal: ctx.signal });
  }

  /** Our mount, the device mounted at another place, or something else on our mount point. */
  private async look(): Promise<{ ours?: MountEntry; elsewhere?: MountEntry; occupied?: MountEntry }> {
    const entries = parseMountinfo(await this.host.mountinfo());
    const number = await this.host.deviceNumber(this.settings.device);
    const isOurDevice = (e: MountEntry) => (number !== undefined ? e.device === number : e.source === this.settings.device);
    const atPoint = entries.filter((e) => e.mountPoint === this.settings.mountPoint).at(-1);
    const ours = atPoint && isOurDevice(atPoint) ? atPoint : undefined;
    return {
      ...(ours ? { ours } : {}),
      ...(() => {
        const elsewhere = entries.find((e) => isOurDevice(e) && e.mountPoint !== this.settings.mountPoint);
        return elsewhere ? { elsewhere } : {};
      })(),
      ...(atPoint && !ours ? { occupied: atPoint } : {}),
    };
  }
}
