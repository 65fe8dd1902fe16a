/** `hotstandby status`: the state of a running daemon, as tables or JSON. */
import type { DaemonStatus } from '../api/control-api.js';
import { CLIENT_EXIT, CLIENT_EXIT_HELP, exitCodeFor, getJson } from '../api/control-client.js';
import type { BackupsStatus } from '../backup/jobs/status.js';
import { formatBackupStatus } from './backup-status.js';
import { controlSocketPath } from '../api/control-socket.js';
import type { CheckStatus } from '../api/daemon-control.js';
import { parseClientCommand } from './client-command.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';
import { formatResources } from './resource-status.js';

const HELP = `usage: hotstandby status [--runtime-dir DIR] [--json]

Shows the state of each VRRP instance and health check of the daemon whose control socket is in
DIR (default ${DEFAULT_RUNTIME_DIR}).

  --json    one JSON object: {"instances":[{name, vrid, interface, state, priority,
            effectivePriority, vips, masterAddress, drops}]}, plus "resources" (as
            GET /v1/resources) when resources are configured

${CLIENT_EXIT_HELP}`;

export async function runStatusCommand(argv: string[]): Promise<number> {
  const parsed = parseClientCommand(argv, { name: 'status', help: HELP, options: {} });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const socket = controlSocketPath(values['runtime-dir']);
  try {
    const status = (await getJson(socket, '/v1/status')) as DaemonStatus;
    if (values.json) {
      console.log(JSON.stringify(statusJson(status)));
      return CLIENT_EXIT.ok;
    }
    const { checks } = (await getJson(socket, '/v1/checks')) as { checks: CheckStatus[] };
    console.log(formatStatus(status, checks));
    // Backup jobs, when the daemon has any (404 otherwise): their alarms belong in the status.
    const backups = await getJson(socket, '/v1/backups').catch(() => undefined);
    // A daemon without jobs answers an empty list (jobs may come with a reload): no table then.
    if (backups !== undefined && (backups as BackupsStatus).jobs.length > 0) console.log(`\n${formatBackupStatus(backups as BackupsStatus)}`);
    return CLIENT_EXIT.ok;
  } catch (err) {
    console.error(`hotstandby status: ${(err as Error).message}`);
    return exitCodeFor(err);
  }
}

/** The --json shape scripts depend on: keep it exactly. */
export function statusJson(status: DaemonStatus): { instances: unknown[]; resources?: unknown[] } {
  return {
    instances: status.instances.map((i) => ({
      name: i.name,
      vrid: i.vrid,
      interface: i.interface,
      state: i.state,
      priority: i.priority,
      effectivePriority: i.effectivePriority,
      vips: i.vips,
      masterAddress: i.masterAddress,
      drops: i.drops,
    })),
    // Only when resources are configured: the shape without them stays exactly as it was.
    ...(status.resources?.length ? { resources: status.resources } : {}),
  };
}

export function formatStatus(status: DaemonStatus, checks: readonly CheckStatus[]): string {
  const instanceRows = status.instances.map((i) => {
    const tracked = checks.filter((c) => c.trackedBy.some((t) => t.instance === i.name));
    const healthy = tracked.filter((c) => c.healthy).length;
    return [
      i.name,
      String(i.vrid),
      i.interface,
      i.maintenance === true ? `${i.state} (maint)` : i.state,
      String(i.priority),
      String(i.effectivePriority),
      i.masterAddress ?? '-',
      i.vips.join(',') || '-',
      tracked.length === 0 ? '-' : `${healthy}/${tracked.length} ok`,
      String(Object.values(i.drops).reduce((a, b) => a + b, 0)),
    ];
  });
  const lines = [table(['INSTANCE', 'VRID', 'IFACE', 'STATE', 'PRIO', 'EFF', 'MASTER', 'VIPS', 'CHECKS', 'DROPS'], instanceRows)];
  if (checks.length > 0) {
    const checkRows = checks.map((c) => [
      c.name,
      c.kind,
      c.healthy ? 'healthy' : 'FAILED',
      c.lastOk === null ? '-' : c.lastOk ? 'ok' : 'fail',
      c.lastLatencyMs === null ? '-' : `${Math.round(c.lastLatencyMs)}ms`,
      c.trackedBy.map((t) => `${t.instance}(${t.weight > 0 ? '+' : ''}${t.weight})`).join(',') || '-',
      oneLine(c.lastDetail ?? '', 60),
    ]);
    lines.push('', table(['CHECK', 'KIND', 'STATE', 'LAST', 'LATENCY', 'TRACKED BY', 'DETAIL'], checkRows));
  }
  if (status.resources?.length) lines.push('', formatResources(status.resources));
  return lines.join('\n');
}

/** Left-aligned columns two blanks apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, col) => c.padEnd(widths[col] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
