/**
 * Signalling a lab process together with its descendants: keepalived's VRRP work happens in a
 * child of the process the lab started, and a launcher may sit in front of a Node daemon, so
 * "kill -9 the daemon" or "stop it for a second" has to reach the whole tree.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid in the text of /proc/<pid>/stat (the command name may hold spaces and parentheses). */
export function parentPidOf(statText: string): number | undefined {
  const end = statText.lastIndexOf(')');
  if (end < 0) return undefined;
  const fields = statText.slice(end + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** `root` and every live descendant, parents before children (empty when `root` is gone). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let rootAlive = false;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone in the meantime
    }
    if (pid === root) rootAlive = true;
    const ppid = parentPidOf(stat);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  if (!rootAlive) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

function signalEach(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Sends `signal` to `root` and all its descendants. SIGKILL first stops the whole tree, so no
 * parent can notice a child's death and restart it (keepalived does) before it dies itself.
 */
export function signalProcessTree(root: number, signal: NodeJS.Signals): number[] {
  const pids = processTree(root);
  if (signal === 'SIGKILL') signalEach(pids, 'SIGSTOP');
  signalEach(pids, signal);
  return pids;
}
