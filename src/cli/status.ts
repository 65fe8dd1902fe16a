/** `hotstandby status`: the state of a running daemon, as a table or JSON. */
import { parseArgs } from 'node:util';
import type { DaemonStatus } from '../api/control-api.js';
import { ControlClientError, controlSocketPath, getJson } from '../api/control-socket.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';

const HELP = `usage: hotstandby status [--runtime-dir DIR] [--json]

Shows the state of each VRRP instance of the daemon whose control socket is in DIR
(default ${DEFAULT_RUNTIME_DIR}). Exit codes: 0 ok, 64 bad usage, 69 no daemon running.`;

export async function runStatusCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'runtime-dir': { type: 'string', default: DEFAULT_RUNTIME_DIR },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`hotstandby status: ${(err as Error).message}\n\n${HELP}`);
    return 64;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  let status: DaemonStatus;
  try {
    status = (await getJson(controlSocketPath(values['runtime-dir']), '/v1/status')) as DaemonStatus;
  } catch (err) {
    console.error(`hotstandby status: ${(err as Error).message}`);
    return err instanceof ControlClientError && err.code === 'not-running' ? 69 : 70;
  }
  if (values.json) {
    const instances = status.instances.map((i) => ({
      name: i.name,
      vrid: i.vrid,
      interface: i.interface,
      state: i.state,
      priority: i.priority,
      effectivePriority: i.effectivePriority,
      vips: i.vips,
      masterAddress: i.masterAddress,
      drops: i.drops,
    }));
    console.log(JSON.stringify({ instances }));
    return 0;
  }
  console.log(formatTable(status));
  return 0;
}

function formatTable(status: DaemonStatus): string {
  const header = ['INSTANCE', 'VRID', 'IFACE', 'STATE', 'PRIO', 'EFF', 'MASTER', 'VIPS', 'DROPS'];
  const rows = status.instances.map((i) => [
    i.name,
    String(i.vrid),
    i.interface,
    i.state,
    String(i.priority),
    String(i.effectivePriority),
    i.masterAddress ?? '-',
    i.vips.join(','),
    String(Object.values(i.drops).reduce((a, b) => a + b, 0)),
  ]);
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, col) => c.padEnd(widths[col] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
