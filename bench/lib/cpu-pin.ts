/**
 * Where a lab bench runs a transfer's two ends. In the lab both ends are processes of one
 * machine, and on this 2-core VM the scheduler keeps a sender and its receiver on one CPU most of
 * the time (62–91 % of samples), which made a large transfer take about 1.4x as long as with the
 * ends on two CPUs (docs/replication.md, 2026-12-05). Two real machines never share a CPU, so a
 * bench that compares tools as two machines would see them can pin the sending end to one CPU
 * and the receiving end to another (taskset(1); children inherit the affinity).
 */

/** The sending end's CPU and the receiving end's. */
export interface Placement {
  readonly sender: number;
  readonly receiver: number;
}

/** `command` run on `cpu` (taskset -c), or as it is when `cpu` is undefined. */
export function onCpu(cpu: number | undefined, command: readonly string[]): string[] {
  return cpu === undefined ? [...command] : ['taskset', '-c', String(cpu), ...command];
}
