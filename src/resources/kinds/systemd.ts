/**
 * `kind: systemd`: a unit that runs on the master only. promote = `systemctl start UNIT`,
 * demote / stop = `systemctl stop UNIT`, and start (the backup shape) also stops it, so a unit
 * left running on a backup (enabled at boot, started by hand) is stopped when the daemon starts.
 * The monitor compares `systemctl is-active UNIT` with what this node should run: active on the
 * master, inactive elsewhere; either mismatch is unhealthy (a unit that died on the master; one
 * running on a backup).
 */
import type { MonitorResult, OperationContext, ResourceDriver, ResourceKind, ResourceSettings } from '../resource.js';
import { processRunner, runChecked, type CommandRunner } from './command.js';

export interface SystemdSettings {
  readonly unit: string;
  readonly systemctl: string;
}

const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(service|socket|target|mount|timer|path|scope|slice|swap|automount|device)$/;

export const systemdKind: ResourceKind<SystemdSettings> = {
  kind: 'systemd',
  doc: 'a systemd unit started on the master and stopped everywhere else',
  fields: [
    { key: 'unit', type: 'unit name', default: 'required', doc: 'e.g. `nginx.service`; it should not be enabled at boot (the daemon starts it)' },
    { key: 'systemctl', type: 'path', default: '`systemctl`', doc: 'the systemctl program (looked up in PATH)' },
  ],
  parse(settings: ResourceSettings): SystemdSettings {
    const unit = settings.requireString('unit');
    if (!UNIT_NAME.test(unit)) throw settings.error('unit', `"${unit}" is not a unit name with its type (e.g. nginx.service)`);
    return { unit, systemctl: settings.string('systemctl') ?? 'systemctl' };
  },
  create(settings, host) {
    // systemctl runs as root: it manages system units.
    return new SystemdDriver(settings, processRunner(host.clock, { user: 'root' }, host.childPriority));
  },
};

export class SystemdDriver implements ResourceDriver {
  readonly kind = 'systemd';
  private shouldRun = false;

  constructor(
    private readonly settings: SystemdSettings,
    private readonly run: CommandRunner,
  ) {}

  async start(ctx: OperationContext): Promise<void> {
    await this.systemctl(ctx, 'stop');
    this.shouldRun = false;
  }

  async promote(ctx: OperationContext): Promise<void> {
    this.shouldRun = true;
    await this.systemctl(ctx, 'start');
  }

  async demote(ctx: OperationContext): Promise<void> {
    this.shouldRun = false;
    await this.systemctl(ctx, 'stop');
  }

  async stop(ctx: OperationContext): Promise<void> {
    this.shouldRun = false;
    await this.systemctl(ctx, 'stop');
  }

  async monitor(ctx: OperationContext): Promise<MonitorResult> {
    const { output } = await this.run([this.settings.systemctl, 'is-active', this.settings.unit], { signal: ctx.signal });
    const state = output.split('\n')[0]?.trim() || 'unknown';
    const running = state === 'active' || state === 'activating' || state === 'reloading';
    const expected = this.shouldRun ? 'active' : 'inactive';
    if (running === this.shouldRun) return { healthy: true, detail: `${this.settings.unit} ${state}` };
    return { healthy: false, detail: `${this.settings.unit} is ${state}, should be ${expected} here` };
  }

  describe(): Readonly<Record<string, unknown>> {
    return { unit: this.settings.unit, shouldRun: this.shouldRun };
  }

  private async systemctl(ctx: OperationContext, verb: 'start' | 'stop'): Promise<void> {
    await runChecked(this.run, [this.settings.systemctl, verb, this.settings.unit], { signal: ctx.signal });
  }
}
