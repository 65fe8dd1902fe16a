/** Small lab choreography shared by the benchmark rows. */
import { waitFor, type Lab } from '../../src/lab/index.js';
import { holders } from '../../test/integration/support.js';

/**
 * Waits until exactly `expected` (comma-joined, sorted host names; '' for nobody) holds `vip`.
 * `intervalMs` is kept coarse during measurements: every poll runs `ip` in every host, and on a
 * two-core machine that competes with the daemons being measured.
 */
export async function waitForHolders(lab: Lab, vip: string, expected: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  await waitFor(async () => (await holders(lab, vip)) === expected, {
    description: `the VIP ${vip} on '${expected}'`,
    timeoutMs: options.timeoutMs ?? 30_000,
    intervalMs: options.intervalMs ?? 100,
  });
}

/** How many addresses of `prefix` (e.g. "10.98.7.") `host` has on its interfaces. */
export async function addressCount(lab: Lab, host: string, prefix: string): Promise<number> {
  const { stdout } = await lab.exec(host, ['ip', '-o', 'addr', 'show']);
  return stdout.split('\n').filter((line) => line.includes(` ${prefix}`)).length;
}

/** A counter of /sys/class/net/<iface>/statistics in the host (e.g. tx_packets). */
export async function interfaceCounter(lab: Lab, host: string, counter: string, iface = 'eth0'): Promise<number> {
  const { stdout } = await lab.exec(host, ['cat', `/sys/class/net/${iface}/statistics/${counter}`]);
  return Number(stdout.trim());
}
