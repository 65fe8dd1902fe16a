/**
 * The option parsing of the commands that talk to a running daemon (status, events, reload,
 * maintenance): all take --runtime-dir and --json, and a usage error exits CLIENT_EXIT.usage.
 */
import { CLIENT_EXIT } from '../api/control-client.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';
import { parseCommand, type CommandSpec, type OptionsConfig } from './parse-command.js';

const CLIENT_OPTIONS = {
  'runtime-dir': { type: 'string', default: DEFAULT_RUNTIME_DIR },
  json: { type: 'boolean', default: false },
} as const;

/** parseCommand with the client options added to the command's own. */
export function parseClientCommand<const O extends OptionsConfig, const P extends boolean = false>(
  argv: string[],
  spec: Omit<CommandSpec<O, P>, 'usageExit'>,
) {
  return parseCommand(argv, { ...spec, options: { ...CLIENT_OPTIONS, ...spec.options }, usageExit: CLIENT_EXIT.usage });
}
