/**
 * Polling for a condition with a deadline: the way lab tests wait for a network to settle
 * instead of sleeping for a guessed time.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Default 15 s: generous, because a loaded CI machine is slow, not wrong. */
  timeoutMs?: number;
  /** Default 100 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout message ("the VIP on host a"). */
  description: string;
}

/**
 * Calls `condition` until it returns a truthy value (which is returned) or the deadline passes.
 * A condition that throws counts as not met; the last error or value is named in the timeout error.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: string = 'never evaluated';
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      last = `last value: ${JSON.stringify(value)}`;
    } catch (error) {
      last = `last error: ${error instanceof Error ? error.message : String(error)}`;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(intervalMs, remaining));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.description} (${last})`);
}
