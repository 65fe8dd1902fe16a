/**
 * The daemon's Node runtime: the V8 flags only node's command line can set, and the start-up
 * pages it gives back. `hotstandby run` gets both however it is started (systemd, the lab, the
 * bench, by hand), so they are defined here once; v8-tuning.ts has the flags that can be set
 * from inside. Measurements: docs/benchmarks.md, "RSS at 200 instances".
 */
import { loadProcessImage } from '../net/native.js';

/**
 * V8's memory reducer takes the daemon's low allocation rate for idleness some 8 s after start
 * and runs two or three compacting collections in a row (pauses of 4–13 ms: an advert 10 ms late
 * at 10 ms intervals). Setting it from inside has no effect once V8 is up.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/** Set for the re-launched process: it must not try again if node dropped a flag. */
const RELAUNCHED = 'HOTSTANDBY_RELAUNCHED';

/**
 * Replaces this process (execve: same pid, so systemd's main pid and signals stay right) with
 * node started with DAEMON_NODE_FLAGS and the same script, arguments and environment. Returns
 * when there is nothing to do (the flags are there) or when it cannot, after `warn`: the daemon
 * then runs with node's defaults.
 */
export function relaunchWithDaemonFlags(warn: (message: string) => void): void {
  relaunchWithNodeFlags(DAEMON_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag)), warn);
}

/**
 * Replaces this process (execve: same pid, same file descriptors – standard input included –
 * and signals) with node started with `missing` added to its flags and the same script,
 * arguments and environment. At most once: the new process carries a marker and does not try
 * again (if node dropped a flag it warns and goes on). Returns when `missing` is empty, after a
 * relaunch, or when exec fails (after `warn`): the process then runs with node's defaults.
 */
export function relaunchWithNodeFlags(missing: readonly string[], warn: (message: string) => void): void {
  const relaunched = process.env[RELAUNCHED] !== undefined;
  // Hook scripts and commands the process runs must not see the marker.
  delete process.env[RELAUNCHED];
  if (missing.length === 0) return;
  if (relaunched) {
    warn(`node was started again but without ${missing.join(' ')}; running with node's defaults`);
    return;
  }
  const argv = [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)];
  const env = Object.entries({ ...process.env, [RELAUNCHED]: '1' }).map(([name, value]) => `${name}=${value ?? ''}`);
  try {
    loadProcessImage().exec(process.execPath, argv, env);
  } catch (err) {
    warn(`cannot start node again with ${missing.join(' ')} (${(err as Error).message}); running with node's defaults`);
  }
}

/**
 * Unmaps the code and read-only data pages of node (and the shared libraries) that only start-up
 * used: loading the modules and parsing the configuration touch most of node's 27 MB of code,
 * which then counts in the resident set for the daemon's life (about 40 MB at 200 instances,
 * shared with every node process, in the page cache either way). The pages stay in the page
 * cache; what the daemon runs again faults back in. Returns the kB unmapped; never throws (0).
 */
export function releaseStartupPages(): number {
  try {
    return loadProcessImage().releaseFilePages();
  } catch {
    return 0;
  }
}
