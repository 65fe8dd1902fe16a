/** `hotstandby reload`: the daemon re-reads its configuration file; an invalid one is refused. */
import { CLIENT_EXIT, CLIENT_EXIT_HELP, errorMessage, exitCodeFor, requestJson } from '../api/control-client.js';
import { controlSocketPath } from '../api/control-socket.js';
import type { ReloadResult } from '../api/daemon-control.js';
import { cliActor } from './actor.js';
import { parseClientCommand } from './client-command.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';

const HELP = `usage: hotstandby reload [--json] [--runtime-dir DIR]

Asks the daemon to re-read the configuration file it was started with. A file that does not
validate is refused and the running configuration stays in force (exit 1, with the error naming
file, line and key). Check a file first with: hotstandby check-config FILE

  --json          print the daemon's answer as JSON
  --runtime-dir   where the daemon's control socket is (default ${DEFAULT_RUNTIME_DIR})

${CLIENT_EXIT_HELP}`;

/** A reload re-resolves interfaces and may wait for a reload already running. */
const RELOAD_TIMEOUT_MS = 60_000;

export async function runReloadCommand(argv: string[]): Promise<number> {
  const parsed = parseClientCommand(argv, { name: 'reload', help: HELP, options: {} });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  try {
    const { status, body } = await requestJson(controlSocketPath(values['runtime-dir']), 'POST', '/v1/reload', cliActor(), RELOAD_TIMEOUT_MS);
    if (values.json) console.log(JSON.stringify(body));
    if (status === 200) {
      const result = body as ReloadResult;
      if (!values.json) {
        console.log(result.message);
        for (const change of result.changes ?? []) console.log(`  ${change}`);
      }
      return CLIENT_EXIT.ok;
    }
    if (!values.json) console.error(`hotstandby reload: refused: ${errorMessage(body) ?? `daemon answered ${status}`}`);
    return status < 500 ? CLIENT_EXIT.refused : CLIENT_EXIT.software;
  } catch (err) {
    console.error(`hotstandby reload: ${(err as Error).message}`);
    return exitCodeFor(err);
  }
}
