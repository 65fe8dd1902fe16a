/**
 * `kind: exec`: your own commands, one per operation, run without a shell as the script user
 * (keepalived's script_user and enable_script_security rules, like exec checks and notify
 * scripts). An operation succeeds when its command exits with status 0; one without a command
 * does nothing. The monitor: exit 0 healthy; exit 100 healthy but NOT eligible for mastership
 * (the first output line is the reason: "replica 40 s behind"); any other status unhealthy.
 * Output lines `gauge NAME VALUE` become gauges (status, API, metrics).
 *
 * Every command gets HOTSTANDBY_RESOURCE, HOTSTANDBY_OPERATION, HOTSTANDBY_INSTANCE or
 * HOTSTANDBY_SYNC_GROUP, HOTSTANDBY_VIPS (space-separated address/prefix), HOTSTANDBY_MASTER
 * (the current master's address as last heard, empty when unknown or this node) and
 * HOTSTANDBY_STATE_DIR, on top of the exec checks' fixed PATH, LANG and HOME.
 */
import type { MonitorResult, OperationContext, ResourceDriver, ResourceHost, ResourceKind, ResourceOperation, ResourceSettings } from '../resource.js';
import { checkCommand, processRunner, runChecked, type CommandRunner } from './command.js';

export const MONITOR_NOT_ELIGIBLE_STATUS = 100;
const OPERATIONS = ['start', 'promote', 'demote', 'stop', 'monitor'] as const satisfies readonly ResourceOperation[];

export interface ExecSettings {
  readonly commands: Readonly<Partial<Record<ResourceOperation, readonly string[]>>>;
  readonly user?: string;
  readonly group?: string;
}

export const execKind: ResourceKind<ExecSettings> = {
  kind: 'exec',
  doc: 'your own commands per operation (exit 0 = done; monitor exit 100 = healthy but not eligible)',
  fields: [
    { key: 'start', type: 'command', default: 'none', doc: 'brings it up in the standby shape (daemon start, after a stop)' },
    { key: 'promote', type: 'command', default: 'none', doc: 'makes this node the active one' },
    { key: 'demote', type: 'command', default: 'none', doc: 'makes it passive again (must leave nothing a client could take for the master)' },
    { key: 'stop', type: 'command', default: 'none', doc: 'shuts it down (daemon stop; after a failed demote)' },
    { key: 'monitor', type: 'command', default: 'none (always healthy)', doc: 'exit 0 healthy, 100 healthy but not eligible (first output line: why), other unhealthy; lines `gauge NAME VALUE` are gauges' },
    { key: 'user', type: 'user name', default: '`global.scriptUser`', doc: 'run the commands as this user' },
    { key: 'group', type: 'group name', default: "the user's own group", doc: 'with `user`: that group' },
  ],
  parse(settings: ResourceSettings): ExecSettings {
    const commands: Partial<Record<ResourceOperation, readonly string[]>> = {};
    for (const op of OPERATIONS) {
      const command = settings.command(op);
      if (command) commands[op] = command;
    }
    if (commands.promote === undefined && commands.demote === undefined) {
      throw settings.error('promote', 'An exec resource needs at least a promote or a demote command');
    }
    const user = settings.string('user');
    const group = settings.string('group');
    if (group !== undefined && user === undefined) throw settings.error('group', '"group" needs "user"');
    return { commands, ...(user !== undefined ? { user } : {}), ...(group !== undefined ? { group } : {}) };
  },
  async check(settings, host) {
    const runAs = runAsOf(settings, host);
    for (const [op, command] of Object.entries(settings.commands)) {
      try {
        await checkCommand(command, runAs, host.enforceScriptSecurity);
      } catch (err) {
        throw new Error(`${op}: ${(err as Error).message}`);
      }
    }
  },
  create(settings, host) {
    return new ExecDriver(settings, host, processRunner(host.clock, runAsOf(settings, host), host.childPriority));
  },
};

function runAsOf(settings: ExecSettings, host: ResourceHost): { user?: string; group?: string } {
  if (settings.user !== undefined) return { user: settings.user, ...(settings.group !== undefined ? { group: settings.group } : {}) };
  return host.scriptUser ?? {};
}

export class ExecDriver implements ResourceDriver {
  readonly kind = 'exec';

  constructor(
    private readonly settings: ExecSettings,
    private readonly host: ResourceHost,
    private readonly run: CommandRunner,
  ) {}

  start(ctx: OperationContext): Promise<void> {
    return this.operation('start', ctx);
  }
  promote(ctx: OperationContext): Promise<void> {
    return this.operation('promote', ctx);
  }
  demote(ctx: OperationContext): Promise<void> {
    return this.operation('demote', ctx);
  }
  stop(ctx: OperationContext): Promise<void> {
    return this.operation('stop', ctx);
  }

  async monitor(ctx: OperationContext): Promise<MonitorResult> {
    const command = this.settings.commands.monitor;
    if (command === undefined) return { healthy: true };
    const { exitCode, output } = await this.run(command, { signal: ctx.signal, env: this.env('monitor') });
    const lines = output.split('\n');
    const gauges: Record<string, number> = {};
    for (const line of lines) {
      const match = /^gauge\s+([a-z_][a-z0-9_]*)\s+(-?[0-9.eE+-]+)\s*$/.exec(line.trim());
      if (match && Number.isFinite(Number(match[2]))) gauges[match[1]!] = Number(match[2]);
    }
    const text = lines.find((l) => l.trim() !== '' && !/^gauge\s/.test(l.trim()))?.trim();
    const detail = text === undefined ? {} : { detail: text.slice(0, 200) };
    if (exitCode === 0) return { healthy: true, gauges, ...detail };
    if (exitCode === MONITOR_NOT_ELIGIBLE_STATUS) {
      return { healthy: true, gauges, eligibility: { eligible: false, reason: text?.slice(0, 200) ?? 'the monitor says so (exit 100)' }, ...detail };
    }
    return { healthy: false, gauges, detail: `exit status ${exitCode}${text ? `: ${text.slice(0, 200)}` : ''}` };
  }

  describe(): Readonly<Record<string, unknown>> {
    return { commands: Object.keys(this.settings.commands) };
  }

  private async operation(op: Exclude<ResourceOperation, 'monitor'>, ctx: OperationContext): Promise<void> {
    const command = this.settings.commands[op];
    if (command === undefined) return;
    await runChecked(this.run, command, { signal: ctx.signal, env: this.env(op) });
  }

  private env(op: ResourceOperation): Record<string, string> {
    const host = this.host;
    return {
      HOTSTANDBY_RESOURCE: host.name,
      HOTSTANDBY_OPERATION: op,
      ...('instance' in host.follows ? { HOTSTANDBY_INSTANCE: host.follows.instance } : { HOTSTANDBY_SYNC_GROUP: host.follows.syncGroup }),
      HOTSTANDBY_VIPS: host.vips().map((v) => `${v.address}/${v.prefixLength}`).join(' '),
      HOTSTANDBY_MASTER: host.masterAddress() ?? '',
      HOTSTANDBY_STATE_DIR: host.stateDir,
    };
  }
}
