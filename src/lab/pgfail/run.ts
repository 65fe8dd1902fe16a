/**
 * The failover rig: a workload of writers through the VIP (jepsen/workload.ts), then cycle after
 * cycle: wait until the pair has settled, inject a fault into the primary, wait for the first
 * acknowledged write, undo the fault, wait until the pair has settled again (the old primary
 * back as a standby), and read every row through the VIP. The history then goes to the checker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { preciseNow } from '../request-outcome.js';
import { waitFor } from '../wait-for.js';
import { checkHistory, type CheckResult } from '../jepsen/checker.js';
import type { FaultMark, Op } from '../jepsen/history.js';
import { Workload } from '../jepsen/workload.js';
import type { WriterConfig } from '../jepsen/writer-process.js';
import type { FailoverCluster } from './cluster.js';
import { keepCycleLogs } from './cycle-logs.js';
import { injectFault } from './faults.js';
import { type Breakdown, formatBreakdown } from './timeline.js';
import type { FaultKind } from './plan.js';

export interface CycleResult {
  readonly index: number;
  readonly kind: FaultKind;
  readonly from: string;
  /** The primary once settled again. */
  readonly to: string;
  /** Ms from the fault to the first acknowledged write begun after it (undefined: none within the wait). */
  readonly firstWriteMs: number | undefined;
  /** Ms from the fault until the pair had settled again (old primary streaming). */
  readonly settledMs: number;
  /** Where the time to the first write went (with keepLogs, for pairs that have logFiles). */
  readonly breakdown?: Breakdown;
}

export interface RigOptions {
  readonly cluster: FailoverCluster;
  readonly clientHost: string;
  readonly writer: Omit<WriterConfig, 'host' | 'run'>;
  readonly plan: readonly FaultKind[];
  /**
   * How long a split is held when no write is acknowledged meanwhile (without a witness neither
   * side may acknowledge); default 8 s. Other faults are held until the first acknowledged
   * write (the failover) or firstWriteTimeoutMs.
   */
  readonly splitHoldMs?: number;
  /** How long to wait for the first write, and for settling (Patroni needs its TTL); default 60 s / 120 s. */
  readonly firstWriteTimeoutMs?: number;
  readonly settleTimeoutMs?: number;
  /**
   * How long the pair must have stayed settled before a fault; default 2 s. (Patroni publishes its
   * synchronous standby in etcd a loop after assigning it: a fault inside that window leaves no
   * node it may promote.)
   */
  readonly steadyMs?: number;
  /** Acknowledged writes to wait for before each fault (load running); default 50. */
  readonly warmWrites?: number;
  readonly log?: (line: string) => void;
  /**
   * Read the pair's logs after every cycle and log its timeline (fault → first write, every step
   * between); with a directory, also copy the logs there (cycle-logs.ts). Default: neither.
   */
  readonly keepLogs?: { readonly dir?: string };
  /** Starts the writers (tests pass a fake); default Workload.start through the VIP from clientHost. */
  readonly startWorkload?: (cluster: FailoverCluster) => Promise<RigWorkload>;
}

/** What the rig needs of the writers (jepsen/workload.ts). */
export type RigWorkload = Pick<Workload, 'acknowledged' | 'markFault' | 'firstAckAfter' | 'check' | 'stop' | 'history' | 'brokenLines'>;

export interface RigResult {
  readonly cycles: readonly CycleResult[];
  /** Why the run stopped early (a pair that did not settle again); the history is checked anyway. */
  readonly error?: string;
  readonly check: CheckResult;
  readonly history: readonly Op[];
  /** Writer output lines that claimed to be ops but did not parse (the first 200 chars of each). */
  readonly brokenLines: readonly string[];
}

/** Waits until the pair has settled (on another host than `notOn`, after a switchover away from it). */
export async function waitSettled(cluster: FailoverCluster, timeoutMs: number, notOn?: string): Promise<string> {
  let last = 'not asked yet';
  const settled = await waitFor(async () => {
    const state = await cluster.settled();
    if ('reason' in state) {
      last = state.reason;
      return undefined;
    }
    if (state.primary === notOn) {
      last = `still on ${notOn}`;
      return undefined;
    }
    return state.primary;
  }, { description: `${cluster.label} pair settled (one primary with the VIP, the other streaming)`, timeoutMs, intervalMs: 250 }).catch((error: Error) => {
    throw new Error(`${error.message}; last: ${last}`);
  });
  return settled;
}

export async function runFailovers(options: RigOptions): Promise<RigResult> {
  const { cluster } = options;
  const log = options.log ?? (() => undefined);
  const settleTimeoutMs = options.settleTimeoutMs ?? 120_000;
  const firstWriteTimeoutMs = options.firstWriteTimeoutMs ?? 60_000;
  await waitSettled(cluster, settleTimeoutMs);
  const workload = options.startWorkload !== undefined
    ? await options.startWorkload(cluster)
    : await Workload.start(cluster.lab, options.clientHost, { ...options.writer, host: cluster.vip, run: `r${process.pid % 1000}` });
  const cycles: CycleResult[] = [];
  let error: string | undefined;
  /** The cycle under way, as far as it got: a failed one's logs are kept with what is known. */
  let current: { index: number; kind: FaultKind; from?: string; faultAt?: number; ackAt?: number } | undefined;
  try {
    for (const [index, kind] of options.plan.entries()) {
      current = { index, kind };
      let from = await waitSettled(cluster, settleTimeoutMs);
      await sleep(options.steadyMs ?? 2000);
      from = await waitSettled(cluster, settleTimeoutMs);
      current.from = from;
      await workload.acknowledged(options.warmWrites ?? 50, firstWriteTimeoutMs, 'writes acknowledged before the fault');
      let fault: FaultMark | undefined;
      const injected = await injectFault(cluster, kind, from, () => {
        fault = workload.markFault(kind);
      });
      if (fault === undefined) throw new Error(`fault ${kind} did not say when it took effect`);
      current.faultAt = fault.at;
      // A split is held for splitHoldMs; other faults until writes are acknowledged again (the
      // failover happened) or firstWriteTimeoutMs.
      const firstAck = kind === 'split'
        ? await sleep(options.splitHoldMs ?? 8000)
        : await workload.firstAckAfter(fault.at, firstWriteTimeoutMs).catch(() => undefined);
      // A switchover ends (maintenance off) only once the other node has taken over for good.
      if (kind !== 'switchover') await injected.restore();
      const ackAt = typeof firstAck === 'number' ? firstAck : await workload.firstAckAfter(fault.at, firstWriteTimeoutMs).catch(() => undefined);
      if (ackAt !== undefined) current.ackAt = ackAt;
      let to = await waitSettled(cluster, settleTimeoutMs, kind === 'switchover' ? from : undefined);
      if (kind === 'switchover') {
        await injected.restore();
        to = await waitSettled(cluster, settleTimeoutMs);
      }
      const settledMs = preciseNow() - fault.at;
      const kept = options.keepLogs === undefined ? undefined : await keepCycleLogs(cluster, { index, kind, to, faultAt: fault.at, ackAt }, options.keepLogs.dir);
      const result: CycleResult = { index, kind, from, to, firstWriteMs: ackAt === undefined ? undefined : ackAt - fault.at, settledMs, ...(kept ? { breakdown: kept.breakdown } : {}) };
      cycles.push(result);
      await workload.check(`after cycle ${index} (${kind})`);
      log(`cycle ${index}: ${kind} on ${from} → primary ${to}, first write ${result.firstWriteMs?.toFixed(0) ?? 'none'} ms, settled ${settledMs.toFixed(0)} ms`);
      if (kept !== undefined) log(`cycle ${index} steps: ${formatBreakdown(kept.breakdown)}\n${kept.timeline}`);
    }
  } catch (caught) {
    error = `cycle ${cycles.length} (${options.plan[cycles.length]}): ${(caught as Error).message}`;
    log(error);
    // The failed cycle is the one whose logs matter most (the lab directory is swept at the end).
    if (options.keepLogs !== undefined && current !== undefined) {
      const kept = await keepCycleLogs(cluster, { ...current, to: undefined, faultAt: current.faultAt ?? preciseNow(), ackAt: current.ackAt, failure: error }, options.keepLogs.dir)
        .catch((keepError: Error) => log(`cycle ${current?.index}: its logs could not be kept: ${keepError.message}`));
      if (kept) log(`cycle ${current.index} (failed) steps: ${formatBreakdown(kept.breakdown)}\n${kept.timeline}`);
    }
  } finally {
    await workload.stop('final');
  }
  const check = checkHistory(workload.history);
  return { cycles, check, history: workload.history, brokenLines: workload.brokenLines, ...(error !== undefined ? { error } : {}) };
}
