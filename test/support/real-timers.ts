/** The Timers port on real time (performance.now()), for tests against real servers on loopback. */
import type { Clock, Timers } from '../../src/ports/index.js';

export const realClock: Clock = { now: () => performance.now() };

export const realTimers: Timers = {
  at: (deadline, fn) => {
    const timer = setTimeout(fn, Math.max(0, deadline - performance.now()));
    return () => clearTimeout(timer);
  },
};
