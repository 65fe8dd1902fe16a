/**
 * The option parsing every sub-command shares: strict parseArgs, -h/--help, and the usage error
 * (`hotstandby NAME: message`, a blank line, the help text, on stderr).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** --help prints the help on stdout and succeeds, in every command. */
const HELP_EXIT = 0;

export interface CommandSpec<O extends OptionsConfig, P extends boolean> {
  /** The sub-command as typed: `hotstandby NAME`. */
  name: string;
  help: string;
  /** The command's own options; -h/--help is added. */
  options: O;
  allowPositionals?: P;
  /** The exit code of a usage error. */
  usageExit: number;
}

type ParsedArgs<O extends OptionsConfig, P extends boolean> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & typeof HELP_OPTION; allowPositionals: P; strict: true }>
>;

export type ParsedCommand<O extends OptionsConfig, P extends boolean> = ParsedArgs<O, P> & {
  /** Reports a usage error found after parsing; returns the exit code to return. */
  usage: (message: string) => number;
};

/**
 * Parses `argv` for a command. Returns the parsed values and positionals, or, after printing the
 * help or a usage error, the exit code the command returns.
 */
export function parseCommand<const O extends OptionsConfig, const P extends boolean = false>(
  argv: string[],
  spec: CommandSpec<O, P>,
): ParsedCommand<O, P> | number {
  const usage = (message: string): number => {
    console.error(`hotstandby ${spec.name}: ${message}\n\n${spec.help}`);
    return spec.usageExit;
  };
  let parsed: ParsedArgs<O, P>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...spec.options, ...HELP_OPTION },
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    }) as ParsedArgs<O, P>;
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(spec.help);
    return HELP_EXIT;
  }
  return Object.assign(parsed, { usage });
}
