/**
 * Connects a process check to the process watcher so it acts on events, not only on its interval:
 * - a counted process exits (or execs into something else, or renames itself): probe at once,
 *   re-checking only the counted processes (new ones are reported by their own events);
 * - while fewer than quorum processes match, a process that may match appears (exec, rename, a
 *   fork of a counted process, any new process for pid files): probe after a short debounce, so
 *   a fork storm costs one /proc scan;
 * - the kernel dropped events: probe at once.
 * New processes are ignored while the quorum is met: they cannot change the outcome.
 */
import type { Clock, Timers } from '../ports/index.js';
import type { ProcessCheckConfig } from '../config/check-model.js';
import type { ProcessEvents, WatchedEvent } from './process-watcher.js';
import type { ProcessProbe } from './process-probe.js';

export const APPEAR_DEBOUNCE_MS = 50;

export interface ProbeTrigger {
  runNow(): void;
}

export interface ProcessTriggerOptions {
  clock: Clock;
  timers: Timers;
  /** Default 50 ms. */
  appearDebounceMs?: number;
}

/** Subscribes; returns the function that unsubscribes and cancels a pending debounce. */
export function triggerOnProcessEvents(
  config: Pick<ProcessCheckConfig, 'match' | 'quorum'>,
  probe: ProcessProbe,
  runner: ProbeTrigger,
  events: ProcessEvents,
  options: ProcessTriggerOptions,
): () => void {
  const debounceMs = options.appearDebounceMs ?? APPEAR_DEBOUNCE_MS;
  const byPidFile = 'pidFile' in config.match;
  const byName = 'name' in config.match;
  let cancelDebounce: (() => void) | undefined;
  let closed = false;

  /** A counted process is gone or changed: re-check the counted ones, now. */
  const recheckKnown = (): void => {
    probe.requestScope('known');
    runner.runNow();
  };
  /** Something may have appeared: a full scan, after the debounce. */
  const soon = (): void => {
    if (cancelDebounce !== undefined || closed) return;
    cancelDebounce = options.timers.at(options.clock.now() + debounceMs, () => {
      cancelDebounce = undefined;
      if (closed) return;
      probe.requestScope('full');
      runner.runNow();
    });
  };
  const belowQuorum = (): boolean => probe.matched.size < config.quorum;
  const maybeAppeared = (pid: number): void => {
    if (byPidFile) {
      soon();
      return;
    }
    void probe.matchesPid(pid).then((matches) => {
      if (matches && belowQuorum()) soon();
    });
  };

  const onEvent = (event: WatchedEvent): void => {
    switch (event.type) {
      case 'lost':
        probe.requestScope('full');
        runner.runNow();
        return;
      case 'exit':
        if (event.pid === event.tgid && probe.matched.has(event.pid)) recheckKnown();
        return;
      case 'exec':
        if (probe.matched.has(event.tgid)) recheckKnown();
        else if (belowQuorum()) maybeAppeared(event.tgid);
        return;
      case 'comm':
        if (probe.matched.has(event.tgid)) recheckKnown();
        else if (belowQuorum() && (byPidFile || (byName && probe.matchesName(event.comm)))) soon();
        return;
      case 'fork':
        if (event.childPid !== event.childTgid || !belowQuorum()) return;
        if (byPidFile || probe.matched.has(event.parentTgid)) soon();
        return;
    }
  };
  const unsubscribe = events.subscribe(onEvent);
  return () => {
    closed = true;
    unsubscribe();
    cancelDebounce?.();
  };
}
