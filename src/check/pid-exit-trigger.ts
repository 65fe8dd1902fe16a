/**
 * Process checks notice a counted process's death at once through pidfds (one per counted pid),
 * wherever the daemon runs. The process connector (process-trigger.ts) also sees new processes,
 * but only in the initial network namespace; this works in containers and lab namespaces too.
 */
import type { Logger } from '../ports/index.js';
import type { ProcessProbe } from './process-probe.js';

/** Calls onExit once when the process exits; throws with code ESRCH when it is already gone. */
export type WatchPid = (pid: number, onExit: () => void) => { close(): void };

export interface PidExitRunner {
  runNow(): void;
  onResult(listener: () => void): () => void;
}

/** Keeps a watch on every pid the probe counts; returns the function that stops watching. */
export function triggerOnPidExit(probe: ProcessProbe, runner: PidExitRunner, watchPid: WatchPid, log: Logger): () => void {
  const watches = new Map<number, { close(): void }>();
  const recheck = () => {
    probe.requestScope('known');
    runner.runNow();
  };
  const sync = () => {
    for (const [pid, watch] of watches) {
      if (probe.matched.has(pid)) continue;
      watch.close();
      watches.delete(pid);
    }
    for (const pid of probe.matched) {
      if (watches.has(pid)) continue;
      try {
        watches.set(
          pid,
          watchPid(pid, () => {
            watches.delete(pid);
            recheck();
          }),
        );
      } catch (err) {
        // Gone between the scan and now: that is news too.
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') recheck();
        else log.log('debug', 'cannot watch a process with a pidfd; the check polls', { pid, error: (err as Error).message });
      }
    }
  };
  const unsubscribe = runner.onResult(sync);
  return () => {
    unsubscribe();
    for (const watch of watches.values()) watch.close();
    watches.clear();
  };
}
