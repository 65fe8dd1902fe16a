/**
 * The `hotstandby` command line: one sub-command per file, loaded on demand so that
 * `hotstandby status` does not pay for the daemon's imports.
 */
interface Command {
  summary: string;
  load: () => Promise<(argv: string[]) => Promise<number>>;
}

const commands: Record<string, Command> = {
  run: {
    summary: 'run the daemon (--config FILE | --keepalived-conf FILE) [--runtime-dir DIR]',
    load: async () => {
      // V8 flags that only node's command line can set: node starts again with them (same pid).
      (await import('../daemon/node-runtime.js')).relaunchWithDaemonFlags((message) => console.error(`hotstandby: ${message}`));
      // Before the daemon's modules load: loading them is what would grow the young generation.
      (await import('../daemon/v8-tuning.js')).tuneV8ForDaemon();
      return (await import('./run.js')).runDaemonCommand;
    },
  },
  status: {
    summary: 'show the state of a running daemon [--runtime-dir DIR] [--json]',
    load: async () => (await import('./status.js')).runStatusCommand,
  },
  events: {
    summary: 'print the event log of a running daemon [--since N] [--follow] [--json]',
    load: async () => (await import('./events.js')).runEventsCommand,
  },
  reload: {
    summary: 'make a running daemon re-read its configuration [--json]',
    load: async () => (await import('./reload.js')).runReloadCommand,
  },
  maintenance: {
    summary: 'planned switchover: maintenance on|off [INSTANCE] (no instance = all)',
    load: async () => (await import('./maintenance.js')).runMaintenanceCommand,
  },
  'check-config': {
    summary: 'validate a configuration file without a daemon: FILE [--yaml | --keepalived]',
    load: async () => (await import('./check-config.js')).runCheckConfigCommand,
  },
  convert: {
    summary: 'print the native YAML equivalent of a keepalived.conf: FILE',
    load: async () => (await import('./convert.js')).runConvertCommand,
  },
  demo: {
    summary: 'a two-node failover in network namespaces, shown live (root) [--keep] [--quiet]',
    load: async () => (await import('./demo.js')).runDemoCommand,
  },
  backup: {
    summary: 'restic-format backups: init | run | snapshots | ls | find | restore | dump | forget | prune | check | stats | unlock',
    load: async () => {
      // run and restore: V8 flags only node's command line sets; node starts again with them (same pid).
      (await import('../backup/node-flags.js')).relaunchForBackupVerb(process.argv.slice(3), (message) => console.error(`hotstandby: ${message}`));
      return (await import('./backup.js')).runBackupCommand;
    },
  },
  sniff: {
    summary: 'decode VRRP adverts with their verdict (--pcap FILE | --interface IF) [--json]',
    load: async () => (await import('./sniff.js')).runSniffCommand,
  },
};

function usage(): string {
  const lines = ['usage: hotstandby <command> [options]', '', 'commands:'];
  for (const [name, command] of Object.entries(commands)) lines.push(`  ${name.padEnd(13)} ${command.summary}`);
  lines.push('', 'hotstandby <command> --help shows the options of one command; hotstandby --version its version.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 64 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log((await import('./version.js')).versionText());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`hotstandby: unknown command '${name}'\n\n${usage()}`);
    return 64;
  }
  const run = await command.load();
  return run(rest);
}

/**
 * Runs the CLI as a process and exits with the command's code once stdout is flushed (a stopped
 * daemon must exit even if some handle lingers). Never throws.
 */
export function runMain(): void {
  const exit = (code: number) => process.stdout.write('', () => process.exit(code));
  main(process.argv.slice(2)).then(exit, (err: unknown) => {
    console.error(`hotstandby: ${err instanceof Error ? err.message : String(err)}`);
    exit(70);
  });
}
