/**
 * Creating, listing and removing the lab's network namespaces, including the sweep of
 * namespaces left behind by test processes that died without cleaning up.
 */
import { readFileSync } from 'node:fs';
import { parseNamespaceName } from './naming.js';
import { run, runSyncQuietly } from './shell.js';

/** Names of all named network namespaces (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run(['ip', 'netns', 'list']);
  return parseNamespaceList(stdout);
}

export function parseNamespaceList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

/**
 * True when the process exists and has not ended. A zombie counts as ended: it is dead, only
 * not yet reaped (orphans may stay so when the machine's init does not reap them).
 */
export function isProcessAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) state …": the command may contain spaces and parentheses, the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function killAll(pids: string): void {
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Kills whatever still runs in the namespace, then deletes it. */
export async function removeNamespace(ns: string): Promise<void> {
  const pids = await run(['ip', 'netns', 'pids', ns]).catch(() => ({ stdout: '' }));
  killAll(pids.stdout);
  await run(['ip', 'netns', 'del', ns]);
}

/** Same as removeNamespace, synchronously and without failing, for the process exit handler. */
export function removeNamespaceSync(ns: string): void {
  killAll(runSyncQuietly(['ip', 'netns', 'pids', ns]) ?? '');
  runSyncQuietly(['ip', 'netns', 'del', ns]);
}

/**
 * Removes every lab namespace whose owning process no longer exists (a test run that was
 * SIGKILLed, a crashed runner). Live labs of other processes are left alone.
 * Returns the names removed.
 */
export async function sweepStaleLabs(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const owner = parseNamespaceName(name);
    return owner !== undefined && owner.pid !== process.pid && !isProcessAlive(owner.pid);
  });
  for (const ns of stale) {
    await removeNamespace(ns).catch(() => {
      /* another process may be sweeping the same leftovers */
    });
  }
  return stale;
}
