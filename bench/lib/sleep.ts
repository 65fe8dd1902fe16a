/** Promise-returning pause for the benchmark's choreography (not for waiting on conditions: see waitFor). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
