/**
 * keepalived's rise/fall rule for checks: `fall` failures in a row make a healthy check fail,
 * `rise` successes in a row make a failed one healthy; a result of the other kind resets the run.
 * init_fail starts failed, otherwise healthy.
 */
export interface HysteresisState {
  healthy: boolean;
  /** Length of the current run of results that disagree with `healthy`. */
  streak: number;
}

export function initialHysteresis(initFail: boolean): HysteresisState {
  return { healthy: !initFail, streak: 0 };
}

/** The state after one probe result. */
export function stepHysteresis(state: HysteresisState, ok: boolean, rise: number, fall: number): HysteresisState {
  if (ok === state.healthy) return { healthy: state.healthy, streak: 0 };
  const streak = state.streak + 1;
  const needed = state.healthy ? fall : rise;
  return streak >= Math.max(1, needed) ? { healthy: ok, streak: 0 } : { healthy: state.healthy, streak };
}
