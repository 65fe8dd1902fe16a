/** `hotstandby maintenance on|off [INSTANCE]`: planned switchover, for one instance or all. */
import type { DaemonStatus } from '../api/control-api.js';
import { CLIENT_EXIT, CLIENT_EXIT_HELP, errorMessage, exitCodeFor, getJson, requestJson } from '../api/control-client.js';
import { controlSocketPath } from '../api/control-socket.js';
import { cliActor } from './actor.js';
import { parseClientCommand } from './client-command.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';

const HELP = `usage: hotstandby maintenance on|off [INSTANCE] [--force] [--json] [--runtime-dir DIR]

on:  the instance hands its addresses to the peer and stays backup (planned switchover, e.g.
     before rebooting this node). Refused, naming why, when no peer can take over: a resource
     says so (PostgreSQL: the peer is not the streaming synchronous standby), or no peer became
     master after this node left; the instance then keeps serving, maintenance off;
off: it takes part in elections again.
Without INSTANCE: every instance of the daemon.

  --force         hand over even when no peer can take over (the instance may have no master)
  --json          one JSON object per instance: {"instance", "maintenance"} or {"instance", "error"}
  --runtime-dir   where the daemon's control socket is (default ${DEFAULT_RUNTIME_DIR})

${CLIENT_EXIT_HELP}
Exit code 1 when the daemon refused any of the instances (the others are still switched).`;

/** Handing over waits for the peer to take the addresses. */
const MAINTENANCE_TIMEOUT_MS = 60_000;

export async function runMaintenanceCommand(argv: string[]): Promise<number> {
  const parsed = parseClientCommand(argv, { name: 'maintenance', help: HELP, options: { force: { type: 'boolean' } }, allowPositionals: true });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, usage } = parsed;
  const [mode, instance, ...extra] = positionals;
  if (mode !== 'on' && mode !== 'off') return usage(mode === undefined ? 'say on or off' : `expected on or off, got '${mode}'`);
  if (extra.length > 0) return usage(`one instance at most, got also '${extra.join(' ')}'`);
  const force = values.force === true;
  if (force && mode === 'off') return usage('--force goes with on');
  const socket = controlSocketPath(values['runtime-dir']);
  try {
    const names = instance !== undefined ? [instance] : ((await getJson(socket, '/v1/status')) as DaemonStatus).instances.map((i) => i.name);
    let refused = false;
    for (const name of names) {
      const path = `/v1/instances/${encodeURIComponent(name)}/maintenance`;
      const { status, body } = await requestJson(socket, 'POST', path, { on: mode === 'on', ...(force ? { force } : {}), ...cliActor() }, MAINTENANCE_TIMEOUT_MS);
      if (status === 200) {
        console.log(values.json ? JSON.stringify({ instance: name, maintenance: mode === 'on' }) : `${name}: maintenance ${mode}`);
        continue;
      }
      if (status >= 500) throw new Error(`daemon failed on ${name}: ${errorMessage(body) ?? status}`);
      refused = true;
      const message = errorMessage(body) ?? `daemon answered ${status}`;
      if (values.json) console.log(JSON.stringify({ instance: name, error: message }));
      else console.error(`hotstandby maintenance: ${name}: ${message}`);
    }
    return refused ? CLIENT_EXIT.refused : CLIENT_EXIT.ok;
  } catch (err) {
    console.error(`hotstandby maintenance: ${(err as Error).message}`);
    return exitCodeFor(err);
  }
}
