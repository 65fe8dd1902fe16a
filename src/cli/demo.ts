/** `hotstandby demo`: a two-node failover in network namespaces, measured from a client (root). */
import { parseCommand } from './parse-command.js';

const HELP = `usage: hotstandby demo [--keep] [--quiet]

Builds a throwaway lab in network namespaces on this machine: nodes a and b and a client on one
bridge. Each node runs a small web service that answers with its name and hotstandby with an HTTP
check on it; the client asks the virtual address every 20 ms. The demo kills the master's web
service, restarts it, cuts the master's link and heals it, and after each prints how long the
client got no answer. Then the data act, where PostgreSQL 15 is installed (it says so where not):
a PostgreSQL pair with the postgresql resource; a row is written through the VIP, the master is
killed (hotstandby and PostgreSQL, kill -9), and the row is read through the VIP from the node
that took over. Then the file act: a web root replicated by the directory resource; a file
written on the master is served through the VIP by the new master after the master is killed.
Everything is removed at the end, also on Ctrl-C and on errors. Takes one to two minutes. Needs
root (network namespaces) and iproute2; keepalived is not needed.

  --keep    leave the lab running after the summary, until Ctrl-C (prints how to look at it)
  --quiet   only the measured gaps and the summary

Exit codes: 0 every fault led to a takeover (and the row and the file were read back), 1 some did
not, 64 bad usage, 70 the demo failed, 77 not possible here (not root, missing tools, native
addon not built).`;

/** sysexits EX_NOPERM, also what test runners (automake) read as "skipped". */
const EXIT_CANNOT_RUN = 77;

export async function runDemoCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    name: 'demo',
    help: HELP,
    options: {
      keep: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
    usageExit: 64,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const { labUnavailableReason, nativeAddonUnavailableReason } = await import('../lab/index.js');
  const reason = labUnavailableReason() ?? nativeAddonUnavailableReason();
  if (reason !== undefined) {
    console.error(
      `hotstandby demo: cannot run here (${reason}).\n` +
        'The demo needs root (it creates network namespaces, a bridge, veth links and raw sockets), ' +
        'the tools ip, bridge, sysctl and setpriv (iproute2, procps, util-linux) and the built native addon; ' +
        'keepalived is not needed.',
    );
    return EXIT_CANNOT_RUN;
  }

  const { Display } = await import('../demo/display.js');
  const { runDemo } = await import('../demo/demo.js');
  const display = new Display(process.stdout, values.quiet ? 'quiet' : process.stdout.isTTY ? 'tty' : 'lines');

  // Ctrl-C: with --keep, after the summary, it ends the wait and the lab is removed normally.
  // Before that, the demo stops at once; the lab's own exit handler removes its namespaces and
  // processes synchronously as the process exits.
  let endKeep: (() => void) | undefined;
  const interrupted = new Promise<void>((resolve) => {
    endKeep = resolve;
  });
  let keeping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (keeping) {
      endKeep?.();
      return;
    }
    display.endLive();
    console.error(`hotstandby demo: ${signal}: stopping; removing the lab`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runDemo({
      display,
      keep: values.keep,
      untilInterrupted: () => {
        keeping = true;
        return interrupted;
      },
    });
    const { runDataAct } = await import('../demo/data-act.js');
    const data = await runDataAct(display);
    const { runFileAct } = await import('../demo/file-act.js');
    const files = await runFileAct(display);
    return result.ok && data.ok !== false && files.ok !== false ? 0 : 1;
  } catch (err) {
    console.error(`hotstandby demo: ${(err as Error).message}`);
    return 70;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
