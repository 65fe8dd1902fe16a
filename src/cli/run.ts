/** `hotstandby run`: the daemon in the foreground (systemd runs it like this). */
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load.js';
import type { LoadedConfig } from '../config/model.js';
import { createLogger } from '../daemon/logger.js';
import { DaemonPriority, logPriorityOutcome } from '../daemon/process-priority.js';
import type { LogLevel } from '../ports/index.js';
import { DEFAULT_RUNTIME_DIR } from './defaults.js';
import { parseCommand } from './parse-command.js';

const HELP = `usage: hotstandby run (--config FILE | --keepalived-conf FILE) [options]

  --config FILE            native YAML configuration (see docs/config.md)
  --keepalived-conf FILE   a keepalived.conf, used unchanged (its VRRP part)
  --runtime-dir DIR        control socket and pid file (default ${DEFAULT_RUNTIME_DIR});
                           one directory per daemon, e.g. one per network namespace
  --log-level LEVEL        debug | info | warn | error (default info)
  --log-format FORMAT      json | text (default: text on a terminal, json otherwise)

SIGTERM / SIGINT: masters send priority 0, VIPs are removed, exit 0. SIGHUP: reload (hitless).
Exit codes: 0 stopped cleanly, 64 bad usage, 70 runtime error, 78 configuration error.`;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export async function runDaemonCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'run',
    help: HELP,
    options: {
      config: { type: 'string' },
      'keepalived-conf': { type: 'string' },
      'runtime-dir': { type: 'string', default: DEFAULT_RUNTIME_DIR },
      'log-level': { type: 'string', default: 'info' },
      'log-format': { type: 'string' },
    },
    usageExit: 64,
  });
  if (typeof parsed === 'number') return parsed;
  const { values, usage } = parsed;
  const yamlPath = values.config;
  const keepalivedPath = values['keepalived-conf'];
  if ((yamlPath === undefined) === (keepalivedPath === undefined)) {
    return usage('give exactly one of --config FILE and --keepalived-conf FILE');
  }
  const level = values['log-level'] as LogLevel;
  if (!LEVELS.includes(level)) return usage(`--log-level must be one of ${LEVELS.join(', ')}, got '${level}'`);
  const format = values['log-format'] ?? (process.stdout.isTTY ? 'text' : 'json');
  if (format !== 'json' && format !== 'text') return usage(`--log-format must be json or text, got '${format}'`);
  const log = createLogger({ minLevel: level, human: format === 'text' });
  const configPath = yamlPath ?? (keepalivedPath as string);
  const readConfig = () => loadConfigFile(configPath, yamlPath ? 'yaml' : 'keepalived');

  let daemon;
  try {
    // The configuration first, for its processPriority; the priority before the daemon's modules
    // load, so that the threads they start inherit it (process-priority.ts).
    // A configuration it refuses goes on to startDaemon all the same: the refusal is reported
    // there, and the VIPs a killed predecessor left are removed (refused-start.ts).
    let first: Promise<LoadedConfig> | undefined = readConfig();
    const firstConfig = await first.catch(() => undefined);
    // The one DaemonPriority: the daemon hands its `children` to whatever starts processes, and a
    // reload that changes processPriority goes through it too.
    let priority: DaemonPriority | undefined;
    if (firstConfig) {
      const raised = DaemonPriority.raise(firstConfig.config.global.processPriority);
      priority = raised.priority;
      logPriorityOutcome(raised.outcome, log);
    }
    const loadConfig = (): Promise<LoadedConfig> => {
      const loaded = first ?? readConfig();
      first = undefined;
      return loaded;
    };
    const { startDaemon } = await import('../daemon/daemon.js');
    daemon = await startDaemon({ loadConfig, runtimeDir: values['runtime-dir'], log, priority });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`hotstandby: configuration error: ${err.message}`);
      return 78;
    }
    console.error(`hotstandby: ${(err as Error).message}`);
    return 70;
  }

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.log('info', `received ${signal}, leaving service`);
      daemon.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.log('error', 'error while stopping', { error: String(err) });
          resolve(70);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      log.log('info', 'received SIGHUP, reloading the configuration');
      daemon.control.reload().catch((err: unknown) => log.log('error', 'reload failed', { error: String(err) }));
    });
  });
}
