/**
 * interface check: another interface's link. Healthy when it is administratively up (IFF_UP) and
 * has carrier. Polling reads sysfs; the daemon also pushes rtnetlink link changes (see
 * LinkEvents) so a change acts at once rather than at the next poll.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InterfaceCheckConfig } from '../config/check-model.js';
import { abortedDetail, withDeadline, type Probe, type ProbeResult, type ProbeTime } from './probe.js';

/** linux/if.h */
const IFF_UP = 0x1;

export type InterfaceProbeConfig = Pick<InterfaceCheckConfig, 'interface' | 'timeoutMs'>;

export interface InterfaceProbeOptions {
  /** Default '/sys/class/net'. */
  sysClassNet?: string;
}

export function createInterfaceProbe(config: InterfaceProbeConfig, time: ProbeTime, options: InterfaceProbeOptions = {}): Probe {
  const dir = join(options.sysClassNet ?? '/sys/class/net', config.interface);
  const name = config.interface;
  return {
    async run(signal) {
      const started = time.clock.now();
      const finish = (ok: boolean, detail: string): ProbeResult => ({ ok, latencyMs: time.clock.now() - started, detail });
      const outcome = await withDeadline(readLink(dir), started + config.timeoutMs, signal, time);
      if (outcome === 'aborted') return finish(false, abortedDetail(signal));
      if (outcome === 'timeout') return finish(false, `timed out after ${config.timeoutMs} ms reading ${dir}`);
      const link = outcome.done;
      if (link === undefined) return finish(false, `interface ${name} does not exist`);
      const state = `operstate ${link.operstate}`;
      if (!link.adminUp) return finish(false, `${name} is administratively down (${state})`);
      if (!link.carrier) return finish(false, `${name} has no carrier (${state})`);
      return finish(true, `${name} is up (${state})`);
    },
  };
}

interface LinkRead {
  adminUp: boolean;
  carrier: boolean;
  operstate: string;
}

async function readLink(dir: string): Promise<LinkRead | undefined> {
  const read = (file: string): Promise<string | undefined> => readFile(join(dir, file), 'utf8').then((t) => t.trim(), () => undefined);
  const [flags, carrier, operstate] = await Promise.all([read('flags'), read('carrier'), read('operstate')]);
  if (flags === undefined) return undefined;
  const flagBits = Number.parseInt(flags, 16);
  // carrier reads EINVAL while the interface is down: no carrier.
  return { adminUp: Number.isFinite(flagBits) && (flagBits & IFF_UP) !== 0, carrier: carrier === '1', operstate: operstate ?? 'unknown' };
}
